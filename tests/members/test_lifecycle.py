import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lcoo.models import Mail
from meetings.attendance import board_quorum
from meetings.models import Attendance
from members import services
from members.models import Company, Role, today
from members.permissions import access_for, compute_access
from tests.factories import CompanyFactory, PersonFactory, RoleFactory

D = datetime.date
DAY = datetime.timedelta(days=1)


def _leave_url(company):
    return reverse("members:company-leave", args=[company.slug])


# The service ------------------------------------------------------------------------


@pytest.mark.django_db
def test_mark_company_former_ends_every_open_role_and_keeps_history(
    company, coordinator, executive, chair
):
    contributor = RoleFactory(kind=Role.Kind.CONTRIBUTOR, company=company)
    past = RoleFactory(kind=Role.Kind.COORDINATOR, company=company, ends_on=D(2021, 6, 30))
    left_on = today()

    services.mark_company_former(company=company, left_on=left_on, reason="Merged", by=chair)

    company.refresh_from_db()
    assert (company.status, company.left_on, company.left_reason) == (
        Company.Status.FORMER,
        left_on,
        "Merged",
    )
    ends = dict(Role.objects.filter(company=company).values_list("pk", "ends_on"))
    assert ends == {
        coordinator.roles.get().pk: left_on,
        executive.roles.get().pk: left_on,
        contributor.pk: left_on,
        past.pk: D(2021, 6, 30),
    }
    assert list(Company.objects.members()) == []


@pytest.mark.django_db
def test_mark_company_former_tells_each_role_holder_once(company, coordinator, executive):
    # A person holding two open roles of the company gets one mail.
    RoleFactory(person=coordinator, kind=Role.Kind.CONTRIBUTOR, company=company)

    services.mark_company_former(company=company, left_on=today(), reason="Budget cuts")

    rows = Mail.objects.filter(reason="company-left").order_by("recipient")
    assert [row.recipient for row in rows] == sorted([coordinator.email, executive.email])
    assert rows[0].subject == "[LCOO] Orange has left the group"
    assert "Reason given: Budget cuts" in rows[0].body
    assert rows[0].html == ""


@pytest.mark.django_db
def test_mark_company_former_tells_its_people_without_roles_too(company, other_company):
    engineer = PersonFactory(company=company, email="eng@example.org")
    PersonFactory(company=company, email="gone@example.org", is_active=False)
    PersonFactory(company=other_company, email="other@example.org")

    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    row = Mail.objects.get(reason="company-left")
    assert row.recipient == engineer.email
    assert "roles you held" not in row.body
    assert "Reason given: Merged" in row.body


@pytest.mark.django_db
def test_mark_company_former_names_the_group_from_settings(settings, company, coordinator):
    settings.GROUP_NAME = "Operators Group"
    settings.GROUP_SHORT_NAME = "OG"

    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    row = Mail.objects.get(reason="company-left")
    assert row.subject == "[OG] Orange has left the group"
    assert "member company of Operators Group" in row.body


@pytest.mark.django_db
def test_mark_company_former_withdraws_a_role_not_yet_started(company):
    future = RoleFactory(kind=Role.Kind.COORDINATOR, company=company, starts_on=today() + 10 * DAY)

    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    assert Role.objects.filter(pk=future.pk).exists() is False


@pytest.mark.django_db
def test_mark_company_former_refuses_a_last_day_before_a_role_already_served(company):
    served = RoleFactory(kind=Role.Kind.COORDINATOR, company=company, starts_on=D(2024, 5, 1))

    with pytest.raises(ValidationError) as excinfo:
        services.mark_company_former(company=company, left_on=D(2024, 4, 30), reason="Merged")

    company.refresh_from_db()
    served.refresh_from_db()
    assert list(excinfo.value.message_dict) == ["left_on"]
    assert (company.status, served.ends_on) == (Company.Status.MEMBER, None)


@pytest.mark.django_db
def test_leave_page_shows_a_served_role_error_on_the_date(client, chair, with_mfa, company):
    RoleFactory(kind=Role.Kind.COORDINATOR, company=company, starts_on=D(2024, 5, 1))
    client.force_login(with_mfa(chair))

    response = client.post(_leave_url(company), {"left_on": "2024-04-30", "reason": "Merged"})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["left_on"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Company.Status.FORMER, Company.Status.APPLICANT])
def test_mark_company_former_refused_unless_member(status, coordinator):
    company = CompanyFactory(name="Gone", status=status, left_on=D(2022, 1, 1))
    RoleFactory(kind=Role.Kind.COORDINATOR, company=company)

    with pytest.raises(ValidationError) as excinfo:
        services.mark_company_former(company=company, left_on=today(), reason="again")

    company.refresh_from_db()
    assert excinfo.value.code == "not_a_member"
    assert (company.status, company.left_on) == (status, D(2022, 1, 1))
    assert Mail.objects.count() == 0


@pytest.mark.django_db
def test_mark_company_former_refuses_a_day_before_it_joined(company):
    with pytest.raises(ValidationError):
        services.mark_company_former(company=company, left_on=D(2016, 12, 31), reason="x")

    company.refresh_from_db()
    assert company.status == Company.Status.MEMBER


@pytest.mark.django_db
def test_former_company_roles_grant_nothing_even_if_marked_in_the_admin(company, coordinator):
    # The admin only changes the status; access follows it all the same.
    Company.objects.filter(pk=company.pk).update(status=Company.Status.FORMER, left_on=today())

    assert compute_access(coordinator).coordinator_of == frozenset()


@pytest.mark.django_db
def test_grant_role_for_a_former_company_refused(company):
    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    with pytest.raises(ValidationError) as excinfo:
        services.grant_role(person=PersonFactory(), kind=Role.Kind.COORDINATOR, company=company)

    assert excinfo.value.code == "former_company"


# What the people of a former company may do afterwards ---------------------------------


@pytest.mark.django_db
def test_former_coordinator_refused_coordinator_pages(client, company, coordinator):
    client.force_login(coordinator)
    before = client.get(reverse("meetings:manage"))

    services.mark_company_former(company=company, left_on=today(), reason="Merged")
    after = client.get(reverse("meetings:manage"))

    assert (before.status_code, after.status_code) == (200, 403)


@pytest.mark.django_db
def test_former_executive_no_longer_sees_board_meetings(client, company, executive, meetings_):
    board = meetings_["board"]
    board_url = reverse("meetings:detail", args=[board.pk])
    client.force_login(executive)
    listed_before = board_url in client.get(reverse("meetings:list")).content.decode()
    page_before = client.get(board_url).status_code

    services.mark_company_former(company=company, left_on=today(), reason="Merged")
    listed_after = board_url in client.get(reverse("meetings:list")).content.decode()
    page_after = client.get(board_url).status_code

    assert (listed_before, page_before) == (True, 200)
    assert (listed_after, page_after) == (False, 404)


# The page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chair_marks_company_former_through_the_page(client, chair, with_mfa, company, executive):
    client.force_login(with_mfa(chair))
    form_page = client.get(_leave_url(company))

    response = client.post(
        _leave_url(company), {"left_on": today().isoformat(), "reason": "Merged"}
    )

    company.refresh_from_db()
    assert form_page.status_code == 200
    assert form_page.context["form"]["left_on"].value() == today()
    assert response.status_code == 302
    assert response["Location"] == company.get_absolute_url()
    assert (company.status, company.left_reason) == (Company.Status.FORMER, "Merged")
    assert access_for(executive).is_executive is False


@pytest.mark.django_db
def test_former_company_page_says_since_when(client, company):
    services.mark_company_former(company=company, left_on=D(2025, 3, 31), reason="Merged")

    body = client.get(company.get_absolute_url()).content.decode()

    assert 'Former member since <time datetime="2025-03-31T00:00:00Z">31 Mar 2025</time>' in body


@pytest.mark.django_db
def test_company_and_roles_pages_link_to_leave_for_chairs_only(
    client, chair, with_mfa, coordinator, company
):
    client.force_login(coordinator)
    coordinator_view = client.get(company.get_absolute_url()).content.decode()
    client.force_login(with_mfa(chair))
    chair_view = client.get(company.get_absolute_url()).content.decode()
    roles_view = client.get(reverse("members:roles")).content.decode()

    assert _leave_url(company) not in coordinator_view
    assert _leave_url(company) in chair_view
    assert _leave_url(company) in roles_view
    assert reverse("members:role-proposals") in roles_view


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("left_on", "reason", "field"),
    [
        ("2016-12-31", "Merged", "left_on"),
        ("2999-01-01", "Merged", "left_on"),
        ("not a date", "Merged", "left_on"),
        ("2025-01-01", "", "reason"),
        ("2025-01-01", "   ", "reason"),
        ("2025-01-01", "Merged\r\nBcc: x@example.org", "reason"),
    ],
)
def test_leave_page_bad_input_changes_nothing(
    client, chair, with_mfa, company, coordinator, left_on, reason, field
):
    client.force_login(with_mfa(chair))

    response = client.post(_leave_url(company), {"left_on": left_on, "reason": reason})

    company.refresh_from_db()
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert response.context["form"]["reason"].value() == reason
    assert company.status == Company.Status.MEMBER
    assert coordinator.roles.get().ends_on is None
    assert Mail.objects.count() == 0


@pytest.mark.django_db
def test_leave_replayed_post_changes_nothing_and_says_so(client, chair, with_mfa, company):
    client.force_login(with_mfa(chair))
    data = {"left_on": "2025-01-01", "reason": "Merged"}
    client.post(_leave_url(company), data, follow=True)

    replay = client.post(
        _leave_url(company), {"left_on": "2025-06-01", "reason": "Again"}, follow=True
    )

    company.refresh_from_db()
    assert (company.left_on, company.left_reason) == (D(2025, 1, 1), "Merged")
    assert [str(m) for m in replay.context["messages"]] == [
        "Orange is not a member company (former member); nothing was changed."
    ]


@pytest.mark.django_db
def test_leave_page_of_applicant_offers_no_form(client, chair, with_mfa):
    applicant = CompanyFactory(name="Hopeful", status=Company.Status.APPLICANT, joined_on=None)
    client.force_login(with_mfa(chair))

    response = client.get(_leave_url(applicant))

    assert response.status_code == 200
    assert response.context["form"] is None
    assert "Only a member can leave." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["participant", "coordinator", "other_coordinator", "executive"])
def test_leave_page_refused_to_non_chairs(client, request, who, company):
    client.force_login(request.getfixturevalue(who))

    page = client.get(_leave_url(company))
    post = client.post(_leave_url(company), {"left_on": "2025-01-01", "reason": "x"})

    company.refresh_from_db()
    assert (page.status_code, post.status_code) == (403, 403)
    assert company.status == Company.Status.MEMBER


@pytest.mark.django_db
def test_leave_page_anonymous_sent_to_login_and_forged_slug_404(client, chair, with_mfa, company):
    anonymous = client.get(_leave_url(company))
    client.force_login(with_mfa(chair))
    forged = client.post(
        reverse("members:company-leave", args=["no-such"]), {"left_on": "2025-01-01", "reason": "x"}
    )

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert forged.status_code == 404


@pytest.mark.django_db
def test_leaving_keeps_attendance_and_past_roles_and_lowers_the_board_quorum(
    company, other_company, executive, meetings_
):
    Attendance.objects.create(meeting=meetings_["past_gm"], person=executive, company=company)
    before = board_quorum(meetings_["board"]).member_count

    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    assert before == 2
    assert board_quorum(meetings_["board"]).member_count == 1
    assert Attendance.objects.filter(company=company).count() == 1
    assert Role.objects.filter(company=company).count() == 1
    assert executive.roles.get().ends_on == today()


@pytest.mark.django_db
def test_leaving_keeps_the_quorum_of_board_meetings_held_while_a_member(
    company, other_company, executive, meetings_
):
    held = meetings_["board"]
    held.starts_at = timezone.now() - datetime.timedelta(days=30)
    held.save()
    Attendance.objects.create(meeting=held, person=executive, company=company)
    before = board_quorum(held)

    services.mark_company_former(company=company, left_on=today(), reason="Merged")

    assert board_quorum(held) == before
    assert before.member_count == 2
    assert before.present == (company.name,)


def _admin_form(company, **changes) -> dict:
    data = {
        "name": company.name,
        "slug": company.slug,
        "website": "",
        "hq_timezone": company.hq_timezone,
        "status": "former",
        "joined_on": "2017-01-01",
        "left_on": "2025-01-31",
        "left_reason": "Merged",
        "description": "",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_admin_marking_former_goes_through_the_same_rule(
    client, staff, with_mfa, company, coordinator
):
    client.force_login(with_mfa(staff))

    response = client.post(
        reverse("admin:members_company_change", args=[company.pk]), _admin_form(company)
    )

    company.refresh_from_db()
    assert response.status_code == 302
    assert (company.status, company.left_on, company.left_reason) == (
        Company.Status.FORMER,
        D(2025, 1, 31),
        "Merged",
    )
    assert coordinator.roles.get().ends_on == D(2025, 1, 31)
    assert list(Mail.objects.filter(reason="company-left").values_list("recipient", flat=True)) == [
        coordinator.email
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"left_reason": ""}, "Say why the company leaves."),
        ({"left_on": "2019-12-31"}, "Cora Coordinator has been coordinator since 2020-01-01"),
    ],
)
def test_admin_marking_former_refused_with_errors(
    client, staff, with_mfa, company, coordinator, changes, message
):
    client.force_login(with_mfa(staff))

    response = client.post(
        reverse("admin:members_company_change", args=[company.pk]), _admin_form(company, **changes)
    )

    company.refresh_from_db()
    assert response.status_code == 200
    assert message in response.content.decode()
    assert company.status == Company.Status.MEMBER
    assert coordinator.roles.get().ends_on is None
