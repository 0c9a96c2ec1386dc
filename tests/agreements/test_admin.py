import pytest
from django.contrib import admin
from django.urls import reverse

from agreements.models import ActionItem, Agreement
from tests.factories import ActionItemFactory, AgreementFactory, ForumTopicFactory, TopicFactory

AGREEMENT_MODELS = [m for m in admin.site._registry if m._meta.app_label == "agreements"]


@pytest.fixture
def filled(gm, company):
    agreement = AgreementFactory(proposing_company=company)
    agreement.topics.add(TopicFactory())
    ActionItemFactory(raised_at=gm["last"], agreement=agreement)
    ForumTopicFactory(proposed_by_company=company)
    return agreement


def test_every_agreements_model_has_an_admin():
    names = sorted(m._meta.model_name for m in AGREEMENT_MODELS)

    assert names == [
        "actionitem",
        "agreement",
        "forumtopic",
        "historicalactionitem",
        "historicalagreement",
        "historicalposition",
        "position",
        "topic",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("model", AGREEMENT_MODELS, ids=lambda m: m._meta.model_name)
def test_admin_changelist_searches(client, staff, with_mfa, filled, model):
    with_mfa(staff)
    client.force_login(staff)
    url = reverse(f"admin:agreements_{model._meta.model_name}_changelist")

    assert client.get(url, {"q": "a"}).status_code == 200


@pytest.mark.django_db
def test_admin_edit_records_the_staff_member_in_the_history(client, staff, with_mfa, filled):
    with_mfa(staff)
    client.force_login(staff)
    url = reverse("admin:agreements_agreement_change", args=[filled.pk])
    page = client.get(url)
    data = {
        "title": "Renamed in the admin",
        "slug": filled.slug,
        "summary": filled.summary,
        "body": "",
        "proposing_company": filled.proposing_company_id,
        "proposed_on": "2026-01-05",
        "visibility": "public",
        "topics": [t.pk for t in filled.topics.all()],
        "positions-TOTAL_FORMS": "0",
        "positions-INITIAL_FORMS": "0",
        "positions-MIN_NUM_FORMS": "0",
        "positions-MAX_NUM_FORMS": "1000",
    }

    response = client.post(url, data)

    assert (page.status_code, response.status_code) == (200, 302)
    latest = Agreement.objects.get().history.latest()
    assert (latest.title, latest.history_user) == ("Renamed in the admin", staff)
    assert ActionItem.objects.count() == 1
