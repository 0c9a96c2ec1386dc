import pytest
from django.contrib import admin
from django.urls import reverse

from agreements.models import ActionItem, Agreement, Position
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    ForumTopicFactory,
    PositionFactory,
    TopicFactory,
)

AGREEMENT_MODELS = [m for m in admin.site._registry if m._meta.app_label == "agreements"]


@pytest.fixture
def filled(gm, company):
    agreement = AgreementFactory(proposing_company=company)
    agreement.topics.add(TopicFactory())
    ActionItemFactory(raised_at=gm["last"], agreement=agreement)
    ForumTopicFactory(proposed_by_company=company)
    return agreement


def test_every_agreements_model_has_an_admin():
    from django.apps import apps

    models = set(apps.get_app_config("agreements").get_models())
    names = sorted(m._meta.model_name for m in models)

    assert models - set(admin.site._registry) == set()
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


@pytest.fixture
def admin_client(client, staff, with_mfa):
    with_mfa(staff)
    client.force_login(staff)
    return client


def _admin_agreement_data(agreement, **changes):
    return {
        "title": agreement.title,
        "slug": agreement.slug,
        "summary": agreement.summary,
        "body": "",
        "proposing_company": agreement.proposing_company_id or "",
        "proposed_on": "2026-01-05",
        "visibility": agreement.visibility,
        "positions-TOTAL_FORMS": "0",
        "positions-INITIAL_FORMS": "0",
        "positions-MIN_NUM_FORMS": "0",
        "positions-MAX_NUM_FORMS": "1000",
        **changes,
    }


@pytest.mark.django_db
def test_admin_cannot_add_change_or_delete_positions(admin_client, gm):
    agreement = AgreementFactory(
        status="declined", decided_at=gm["last"], decided_on=gm["last"].starts_at.date()
    )
    applicant = CompanyFactory(name="Outsider", slug="outsider", status="applicant")
    position = PositionFactory(agreement=agreement, stance="agrees")

    add = admin_client.post(
        reverse("admin:agreements_position_add"),
        {"agreement": agreement.pk, "company": applicant.pk, "stance": "objects"},
    )
    change = admin_client.post(
        reverse("admin:agreements_position_change", args=[position.pk]),
        {"agreement": agreement.pk, "company": position.company_id, "stance": "objects"},
    )
    delete = admin_client.post(
        reverse("admin:agreements_position_delete", args=[position.pk]), {"post": "yes"}
    )
    view = admin_client.get(reverse("admin:agreements_position_change", args=[position.pk]))

    assert (add.status_code, change.status_code, delete.status_code, view.status_code) == (
        403,
        403,
        403,
        200,
    )
    assert list(Position.objects.values_list("company__name", "stance")) == [
        (position.company.name, "agrees")
    ]


@pytest.mark.django_db
def test_admin_agreement_page_shows_positions_read_only(admin_client, gm, company):
    agreement = AgreementFactory()
    PositionFactory(agreement=agreement, company=company, stance="agrees")
    applicant = CompanyFactory(name="Outsider", slug="outsider", status="applicant")
    url = reverse("admin:agreements_agreement_change", args=[agreement.pk])

    response = admin_client.post(
        url,
        _admin_agreement_data(
            agreement,
            **{
                "positions-TOTAL_FORMS": "1",
                "positions-0-company": applicant.pk,
                "positions-0-stance": "objects",
            },
        ),
    )

    assert response.status_code == 302
    assert list(Position.objects.values_list("company__name", "stance")) == [("Orange", "agrees")]


@pytest.mark.django_db
def test_admin_supersedes_is_read_only_on_decided_items(admin_client, gm):
    earlier = AgreementFactory(
        status="agreed", decided_at=gm["earlier"], decided_on=gm["earlier"].starts_at.date()
    )
    later = AgreementFactory(
        status="agreed", decided_at=gm["last"], decided_on=gm["last"].starts_at.date()
    )
    url = reverse("admin:agreements_agreement_change", args=[later.pk])

    response = admin_client.post(url, _admin_agreement_data(later, supersedes=earlier.pk))

    assert response.status_code == 302
    later.refresh_from_db()
    assert later.supersedes_id is None
    model_admin = admin.site._registry[Agreement]
    assert "supersedes" in model_admin.get_readonly_fields(None, later)
    assert "supersedes" not in model_admin.get_readonly_fields(None, AgreementFactory())


@pytest.mark.django_db
def test_admin_tightening_an_agreement_restricts_its_action_items(admin_client, gm):
    agreement = AgreementFactory(visibility="public")
    ActionItemFactory(title="Follow-up", raised_at=gm["last"], agreement=agreement)
    url = reverse("admin:agreements_agreement_change", args=[agreement.pk])

    response = admin_client.post(
        url, _admin_agreement_data(agreement, visibility="board"), follow=True
    )

    assert list(ActionItem.objects.values_list("visibility", flat=True)) == ["board"]
    assert (
        "Its action items are now restricted like the item, to “Executive Board”: “Follow-up”."
        in [str(m) for m in response.context["messages"]]
    )
