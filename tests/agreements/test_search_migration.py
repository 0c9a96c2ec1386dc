"""An existing register migrates forward: its agreements get their stored search document
(migration 0003), and the search finds them through the new index."""

import pytest
from django.db import connection

from agreements.models import Agreement
from tests.agreements.test_search import require_postgresql, titles
from tests.joining.test_migration import latest, migrate

BEFORE = ("agreements", "0002_search_index")


@pytest.mark.django_db(transaction=True)
def test_existing_agreements_get_their_search_document_on_migrating():
    require_postgresql()
    apps = migrate([BEFORE if app == "agreements" else (app, name) for app, name in latest()])
    apps.get_model("agreements", "Agreement").objects.create(
        title="Upgrade runbook", slug="upgrade-runbook", summary="How we upgrade.", body=""
    )

    migrate(latest())

    assert Agreement.objects.get().search_document is not None
    assert titles(Agreement.objects.search("upgrades")) == ["Upgrade runbook"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'agreement_search%'")
        assert cursor.fetchall() == [("agreement_search_document_gin",)]
