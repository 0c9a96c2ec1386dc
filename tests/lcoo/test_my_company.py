import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lcoo.models import Mail
from meetings.models import Attendance
from members import services
from members.models import Role, RoleProposal, today
from tests.factories import MeetingFactory, PersonFactory, RoleFactory

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
INDEX = reverse("portal:my-company")


def _url(company):
    return reverse("portal:my-company-detail", args=[company.slug])


def _proposal_data(person, kind="coordinator", starts_on=None, note="Runs our CI"):
    return {
        "proposal-person": person.pk,
        "proposal-kind": kind,
        "proposal-starts_on": (starts_on or today()).isoformat(),
        "proposal-note": note,
    }


def _profile_data(**changes):
    data = {
        "profile-website": "https://orange.example.org/",
        "profile-hq_timezone": "Europe/Paris",
        "profile-description": "Telecom clouds.\r\nEdge computing.",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_index_sends_a_coordinator_of_one_company_there(client, coordinator, company):
    client.force_login(coordinator)

    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"] == _url(company)


@pytest.mark.django_db
def test_index_offers_a_choice_to_a_coordinator_of_several(
    client, coordinator, company, other_company
):
    RoleFactory(person=coordinator, kind=Role.Kind.COORDINATOR, company=other_company)
    client.force_login(coordinator)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert [c.name for c in response.context["companies"]] == ["NTT", "Orange"]


@pytest.mark.django_db
def test_page_shows_people_roles_and_participation(client, coordinator, company, meetings_):
    colleague = PersonFactory(full_name="Colin Colleague", company=company)
    now = timezone.now()
    recent = meetings_["past_gm"]
    older = MeetingFactory(
        series=meetings_["general"],
        starts_at=now - 400 * DAY,
        ends_at=now - 400 * DAY + HOUR,
        status="held",
    )
    board = MeetingFactory(
        series=meetings_["board_series"],
        starts_at=now - 10 * DAY,
        ends_at=now - 10 * DAY + HOUR,
        status="held",
    )
    for meeting in (recent, older, board):
        Attendance.objects.create(meeting=meeting, person=colleague, company=company)
    Attendance.objects.create(meeting=recent, person=coordinator, company=company)
    client.force_login(coordinator)

    response = client.get(_url(company))

    body = response.content.decode()
    assert response.status_code == 200
    assert [p.full_name for p in response.context["people"]] == [
        "Colin Colleague",
        "Cora Coordinator",
    ]
    assert [r.kind for r in response.context["people"][1].company_roles] == ["coordinator"]
    # The board's attendance is the board's business: a coordinator does not see it counted.
    assert response.context["participation"].by_kind == {"general": 1}
    assert "Held meetings attended by people of Orange: 1" in body


@pytest.mark.django_db
def test_coordinator_edits_the_profile(client, coordinator, company):
    client.force_login(coordinator)

    response = client.post(_url(company), _profile_data())

    company.refresh_from_db()
    assert response.status_code == 302
    assert (company.website, company.description) == (
        "https://orange.example.org/",
        "Telecom clouds.\r\nEdge computing.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"profile-website": "not a url"}, "website"),
        ({"profile-hq_timezone": "Mars/Olympus"}, "hq_timezone"),
        ({"profile-description": "Bell\x07"}, "description"),
        ({"profile-website": "https://x.example.org/\x00"}, "website"),
    ],
)
def test_profile_bad_input_changes_nothing(client, coordinator, company, changes, field):
    client.force_login(coordinator)

    response = client.post(_url(company), _profile_data(**changes))

    company.refresh_from_db()
    assert response.status_code == 400
    assert list(response.context["profile_form"].errors) == [field]
    assert (company.website, company.hq_timezone) == ("", "Europe/Paris")
    assert response.context["company"].name == "Orange"


@pytest.mark.django_db
def test_coordinator_proposes_a_person_and_chairs_are_told(client, coordinator, company, chair):
    colleague = PersonFactory(full_name="Colin Colleague", company=company)
    client.force_login(coordinator)

    response = client.post(_url(company), _proposal_data(colleague, kind="executive"))

    proposal = RoleProposal.objects.get()
    assert response.status_code == 302
    assert (proposal.person, proposal.kind, proposal.proposed_by, proposal.status) == (
        colleague,
        "executive",
        coordinator,
        "pending",
    )
    assert list(
        Mail.objects.filter(reason="role-proposed").values_list("recipient", flat=True)
    ) == [chair.email]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"proposal-note": "Runs\r\nour CI"}, "note"),
        ({"proposal-starts_on": "2020-01-01"}, "starts_on"),
        ({"proposal-kind": "chair"}, "kind"),
    ],
)
def test_proposal_bad_input_changes_nothing(client, coordinator, company, override, field):
    colleague = PersonFactory(company=company)
    client.force_login(coordinator)

    response = client.post(_url(company), {**_proposal_data(colleague), **override})

    assert response.status_code == 400
    assert list(response.context["proposal_form"].errors) == [field]
    assert (
        response.context["proposal_form"]["note"].value()
        == {**_proposal_data(colleague), **override}["proposal-note"]
    )
    assert RoleProposal.objects.count() == 0


@pytest.mark.django_db
def test_proposal_of_a_person_of_another_company_refused(
    client, coordinator, company, other_company
):
    stranger = PersonFactory(company=other_company)
    client.force_login(coordinator)

    response = client.post(_url(company), _proposal_data(stranger))

    assert response.status_code == 400
    assert list(response.context["proposal_form"].errors) == ["person"]
    assert RoleProposal.objects.count() == 0


@pytest.mark.django_db
def test_other_company_coordinator_refused(client, other_coordinator, company):
    colleague = PersonFactory(company=company)
    client.force_login(other_coordinator)

    page = client.get(_url(company))
    profile = client.post(_url(company), _profile_data())
    proposal = client.post(_url(company), _proposal_data(colleague))

    company.refresh_from_db()
    assert (page.status_code, profile.status_code, proposal.status_code) == (403, 403, 403)
    assert company.website == ""
    assert RoleProposal.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["participant", "executive"])
def test_non_coordinators_refused(client, request, who, company):
    client.force_login(request.getfixturevalue(who))

    assert client.get(INDEX).status_code == 403
    assert client.get(_url(company)).status_code == 403


@pytest.mark.django_db
def test_anonymous_sent_to_login(client, company):
    for url in (INDEX, _url(company)):
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_former_company_page_gone_and_forged_slug(client, coordinator, company):
    client.force_login(coordinator)
    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    assert client.get(_url(company)).status_code == 404
    assert client.get(INDEX).status_code == 403
    assert client.get(reverse("portal:my-company-detail", args=["no-such"])).status_code == 404


@pytest.mark.django_db
def test_replayed_proposal_refused_while_the_first_is_pending(client, coordinator, company, chair):
    colleague = PersonFactory(full_name="Colin Colleague", company=company)
    client.force_login(coordinator)
    data = _proposal_data(colleague)
    client.post(_url(company), data)

    replay = client.post(_url(company), data)

    assert replay.status_code == 400
    assert replay.context["proposal_form"].non_field_errors() == [
        "Colin Colleague is already proposed as coordinator; the chairs have not decided yet."
    ]
    assert RoleProposal.objects.count() == 1
    assert Mail.objects.filter(reason="role-proposed").count() == 1


def _grow(company, n):
    for _ in range(n):
        person = PersonFactory(company=company)
        RoleFactory(person=person, kind=Role.Kind.COORDINATOR, company=company)
        RoleProposal.objects.create(
            company=company, person=person, kind="coordinator", starts_on=today()
        )


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_people(client, coordinator, company):
    client.force_login(coordinator)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(company)).status_code == 200
        return len(ctx.captured_queries)

    _grow(company, 2)
    small = count()
    _grow(company, 15)

    assert count() == small


@pytest.mark.django_db
def test_page_queries_pinned(client, coordinator, company, django_assert_max_num_queries):
    _grow(company, 3)
    client.force_login(coordinator)

    # session, user, access, company, attendance, people, their roles, proposals with people
    with django_assert_max_num_queries(9):
        assert client.get(_url(company)).status_code == 200
