import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lcoo.models import Mail
from meetings.models import CalendarToken
from members import services
from members.models import Role, today
from tests.factories import CompanyFactory, PersonFactory, RoleFactory

D = datetime.date
DAY = datetime.timedelta(days=1)


def _url(company):
    return reverse("members:company-replace-role", args=[company.slug])


def _executives_on(company, day):
    return list(
        Role.objects.active(day)
        .filter(company=company, kind=Role.Kind.EXECUTIVE)
        .values_list("person__full_name", flat=True)
    )


@pytest.fixture
def newcomer(company):
    return PersonFactory(full_name="Nina Newcomer", company=company)


@pytest.mark.django_db
def test_hand_over_executive_leaves_exactly_one_on_each_boundary_day(company, executive, newcomer):
    first_day = D(2026, 3, 1)

    services.hand_over_role(
        company=company, kind=Role.Kind.EXECUTIVE, arriving=newcomer, starts_on=first_day
    )

    assert _executives_on(company, first_day - 2 * DAY) == ["Eve Executive"]
    assert _executives_on(company, first_day - DAY) == ["Eve Executive"]
    assert _executives_on(company, first_day) == ["Nina Newcomer"]
    assert _executives_on(company, first_day + DAY) == ["Nina Newcomer"]


@pytest.mark.django_db
def test_hand_over_executive_tells_both_people(company, executive, newcomer):
    services.hand_over_role(
        company=company, kind=Role.Kind.EXECUTIVE, arriving=newcomer, starts_on=D(2026, 3, 1)
    )

    rows = {row.recipient: row for row in Mail.objects.filter(reason="role-handed-over")}
    assert sorted(rows) == sorted([executive.email, newcomer.email])
    assert rows[executive.email].subject == (
        "[LCOO] Your role as executive representative of Orange ends"
    )
    assert "your last day in the role is 2026-02-28" in rows[executive.email].body
    assert rows[newcomer.email].subject == "[LCOO] You are executive representative of Orange"
    assert "taking over from Eve Executive" in rows[newcomer.email].body


@pytest.mark.django_db
def test_hand_over_executive_before_current_one_started_refused(company, newcomer):
    RoleFactory(kind=Role.Kind.EXECUTIVE, company=company, starts_on=D(2026, 3, 1))

    with pytest.raises(ValidationError) as excinfo:
        services.hand_over_role(
            company=company, kind=Role.Kind.EXECUTIVE, arriving=newcomer, starts_on=D(2026, 3, 1)
        )

    assert excinfo.value.code == "starts_too_early"
    assert Role.objects.filter(company=company, kind=Role.Kind.EXECUTIVE).count() == 1
    assert Mail.objects.count() == 0


@pytest.mark.django_db
def test_hand_over_executive_to_the_same_person_refused(company, executive):
    with pytest.raises(ValidationError) as excinfo:
        services.hand_over_role(
            company=company, kind=Role.Kind.EXECUTIVE, arriving=executive, starts_on=today()
        )

    assert excinfo.value.code == "same_person"


@pytest.mark.django_db
def test_replace_coordinator_boundary_days(company, coordinator, newcomer):
    other = RoleFactory(kind=Role.Kind.COORDINATOR, company=company).person
    first_day = D(2026, 3, 1)

    services.replace_coordinator(
        company=company, leaving=coordinator, arriving=newcomer, starts_on=first_day
    )

    def coordinators_on(day):
        return set(
            Role.objects.active(day)
            .filter(company=company, kind=Role.Kind.COORDINATOR)
            .values_list("person__full_name", flat=True)
        )

    assert coordinators_on(first_day - DAY) == {"Cora Coordinator", other.full_name}
    assert coordinators_on(first_day) == {"Nina Newcomer", other.full_name}


@pytest.mark.django_db
def test_replace_coordinator_who_is_not_one_refused(company, newcomer):
    with pytest.raises(ValidationError) as excinfo:
        services.replace_coordinator(
            company=company, leaving=PersonFactory(), arriving=newcomer, starts_on=today()
        )

    assert excinfo.value.code == "not_coordinator"
    assert Role.objects.filter(person=newcomer).count() == 0


# The page ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chair_replaces_executive_through_the_page(
    client, chair, with_mfa, company, executive, newcomer
):
    client.force_login(with_mfa(chair))
    first_day = today() + DAY

    form_page = client.get(_url(company))
    response = client.post(
        _url(company),
        {"kind": "executive", "arriving": newcomer.pk, "starts_on": first_day.isoformat()},
    )

    assert form_page.status_code == 200
    assert response.status_code == 302
    assert _executives_on(company, first_day - DAY) == ["Eve Executive"]
    assert _executives_on(company, first_day) == ["Nina Newcomer"]
    assert Role.objects.get(person=newcomer).granted_by == chair
    assert Mail.objects.filter(reason="role-handed-over").count() == 2


@pytest.mark.django_db
def test_chair_replaces_coordinator_through_the_page(
    client, chair, with_mfa, company, coordinator, newcomer
):
    client.force_login(with_mfa(chair))

    response = client.post(
        _url(company),
        {
            "kind": "coordinator",
            "leaving": coordinator.pk,
            "arriving": newcomer.pk,
            "starts_on": today().isoformat(),
        },
    )

    assert response.status_code == 302
    assert coordinator.roles.get().ends_on == today() - DAY
    assert Role.objects.get(person=newcomer).kind == Role.Kind.COORDINATOR


@pytest.mark.django_db
def test_replace_page_coordinator_needs_the_leaving_one(
    client, chair, with_mfa, company, coordinator, newcomer
):
    client.force_login(with_mfa(chair))

    response = client.post(
        _url(company),
        {"kind": "coordinator", "arriving": newcomer.pk, "starts_on": today().isoformat()},
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["leaving"]
    assert Role.objects.filter(person=newcomer).count() == 0


@pytest.mark.django_db
def test_replace_page_refuses_a_person_of_another_company(
    client, chair, with_mfa, company, executive, other_company
):
    stranger = PersonFactory(company=other_company)
    client.force_login(with_mfa(chair))

    response = client.post(
        _url(company),
        {"kind": "executive", "arriving": stranger.pk, "starts_on": today().isoformat()},
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["arriving"]
    assert _executives_on(company, today()) == ["Eve Executive"]


@pytest.mark.django_db
def test_replace_page_rule_error_is_shown_and_nothing_changes(
    client, chair, with_mfa, company, newcomer
):
    RoleFactory(kind=Role.Kind.EXECUTIVE, company=company, starts_on=today())
    client.force_login(with_mfa(chair))

    response = client.post(
        _url(company),
        {"kind": "executive", "arriving": newcomer.pk, "starts_on": today().isoformat()},
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The first day of the new executive must come after the day the current one started."
    ]
    assert Role.objects.filter(person=newcomer).count() == 0


@pytest.mark.django_db
def test_replace_page_replayed_post_refused(client, chair, with_mfa, company, executive, newcomer):
    client.force_login(with_mfa(chair))
    data = {"kind": "executive", "arriving": newcomer.pk, "starts_on": today().isoformat()}
    client.post(_url(company), data)

    replay = client.post(_url(company), data)

    assert replay.status_code == 400
    assert Role.objects.filter(person=newcomer).count() == 1
    assert Mail.objects.filter(reason="role-handed-over").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["participant", "coordinator", "other_coordinator", "executive"])
def test_replace_page_refused_to_non_chairs(client, request, who, company, newcomer):
    client.force_login(request.getfixturevalue(who))

    page = client.get(_url(company))
    post = client.post(
        _url(company),
        {"kind": "executive", "arriving": newcomer.pk, "starts_on": today().isoformat()},
    )

    assert (page.status_code, post.status_code) == (403, 403)
    assert Role.objects.filter(person=newcomer).count() == 0


@pytest.mark.django_db
def test_replace_page_anonymous_and_former_company(client, chair, with_mfa, company):
    former = CompanyFactory(name="Gone", status="former", left_on=D(2022, 1, 1))
    anonymous = client.get(_url(company))
    client.force_login(with_mfa(chair))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert client.get(_url(former)).status_code == 404


@pytest.mark.django_db
def test_replaced_executive_loses_the_board_in_pages_and_feed_and_the_new_one_gains_it(
    client, chair, with_mfa, company, executive, newcomer, meetings_
):
    board = meetings_["board"]
    old_feed = reverse("meetings:private-feed", args=[CalendarToken.issue(executive)])
    new_feed = reverse("meetings:private-feed", args=[CalendarToken.issue(newcomer)])
    client.force_login(with_mfa(chair))

    client.post(
        _url(company),
        {"kind": "executive", "arriving": newcomer.pk, "starts_on": today().isoformat()},
    )

    client.force_login(executive)
    old_page = client.get(board.get_absolute_url())
    old_calendar = client.get(old_feed).content.decode()
    client.force_login(newcomer)
    new_page = client.get(board.get_absolute_url())
    new_calendar = client.get(new_feed).content.decode()
    assert old_page.status_code == 404
    assert str(board.uid) not in old_calendar
    assert new_page.status_code == 200
    assert str(board.uid) in new_calendar
