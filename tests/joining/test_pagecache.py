"""Join applications are the group's data too: a change to them retires cached pages,
as it did while they belonged to the members app."""

import pytest

from joining import services
from joining.models import ApplicationEvent, ProposedDelegate
from lcoo import pagecache


@pytest.mark.django_db
def test_changes_to_join_applications_retire_cached_pages(settings):
    settings.PAGE_CACHE_SECONDS = 300
    application = services.submit_application(
        company_name="Acme Cloud",
        website="https://acme.example.org",
        hq_timezone="UTC",
        contact_name="Connie",
        contact_email="connie@acme.example.org",
        contact_role="Ops",
        interests="Upgrades.",
        coordinators=[("Cody", "cody@acme.example.org")],
        executive=("Ellen", "ellen@acme.example.org"),
    )
    versions = [pagecache.data_version()]

    application.save()
    versions.append(pagecache.data_version())
    ProposedDelegate.objects.filter(application=application).first().save()
    versions.append(pagecache.data_version())
    ApplicationEvent.objects.filter(application=application).first().delete()
    versions.append(pagecache.data_version())

    assert versions == [versions[0], versions[0] + 1, versions[0] + 2, versions[0] + 3]
