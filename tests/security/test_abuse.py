"""Attacks on the portal, written the way an attacker would try them: through HTTP and
the worker. Each failed against the code before its fix (issue: trust)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from joining import services as joining
from joining.models import JoinApplication, ProposedDelegate
from meetings import announcements, attendance
from meetings.models import Audience, CalendarToken, Delivery, Invitation, Meeting, Series
from members.models import Person, Role
from members.permissions import access_for
from tests.factories import (
    PASSWORD,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)
from tests.joining.test_joining import make_application
from tests.lcoo.test_settings import PRODUCTION_ENV, run_manage

PROXY = "10.0.0.1"  # the TLS proxy in front of the portal: every request comes from it
LIMITED = "Too many failed login attempts"


def _failed_logins(client, count: int, *, forwarded_for: str) -> None:
    for n in range(count):
        client.post(
            reverse("account_login"),
            {"login": f"guess{n}@example.org", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )


def _login(client, email: str, *, forwarded_for: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


# Behind the proxy, one client cannot lock everyone out --------------------------------


@pytest.mark.django_db
def test_one_client_behind_the_proxy_cannot_lock_others_out_of_login(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    PersonFactory(email="victim@example.org")
    _failed_logins(client, 12, forwarded_for="198.51.100.7")

    attacker = _login(client, "victim@example.org", forwarded_for="198.51.100.7")
    victim = _login(client, "victim@example.org", forwarded_for="203.0.113.9")

    assert LIMITED in attacker.content.decode()
    assert victim.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    PersonFactory(email="someone@example.org")
    # The attacker writes a new address in front each time; the proxy appends the real one.
    for n in range(12):
        client.post(
            reverse("account_login"),
            {"login": f"guess{n}@example.org", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
        )

    again = _login(client, "someone@example.org", forwarded_for="192.0.2.99, 198.51.100.7")

    assert LIMITED in again.content.decode()


# Redis away: every limit degrades the same way ----------------------------------------


@pytest.mark.django_db
def test_with_redis_away_logins_work_and_failed_logins_are_still_limited(
    client, shared_redis_cache
):
    process, _ = shared_redis_cache
    PersonFactory(email="member@example.org")
    process.terminate()
    process.wait(timeout=10)

    member = _login(client, "member@example.org", forwarded_for="203.0.113.9")
    client.logout()
    _failed_logins(client, 12, forwarded_for="203.0.113.9")
    guesser = _login(client, "member@example.org", forwarded_for="203.0.113.9")

    assert member.status_code == 302  # not locked out because the cache is away
    assert LIMITED in guesser.content.decode()  # and guessing is limited all the same


# Taking an executive's role by signing up first ------------------------------------


@pytest.mark.django_db
def test_signing_up_first_with_the_executives_address_does_not_take_the_role(
    client, chair, meetings_
):
    # The attacker signs up as the future executive (the address is not theirs: they
    # can never confirm it, but the account exists).
    client.post(
        reverse("account_signup"),
        {
            "email": "ellen@acme.example.org",
            "password1": "attackers-own-password-1",
            "password2": "attackers-own-password-1",
            "full_name": "Ellen Exec",
            "time_zone": "UTC",
        },
    )
    client.logout()
    application = make_application(state=JoinApplication.State.DESIRE_EXPRESSED)
    board = meetings_["board"]
    joining.schedule_welcome(application=application, meeting=board, actor=chair)
    Meeting.objects.filter(pk=board.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=2), status="held"
    )
    joining.welcome(application=application, actor=chair)

    login = client.post(
        reverse("account_login"),
        {"login": "ellen@acme.example.org", "password": "attackers-own-password-1"},
    )
    board_page = client.get(board.get_absolute_url())

    assert "_auth_user_id" not in client.session
    assert login.status_code == 200
    assert "https://meet.example.org/board" not in board_page.content.decode()
    ellen = Person.objects.get(email="ellen@acme.example.org")
    assert not ellen.has_usable_password()
    # The real Ellen gets the set-password link at her own address.
    (invitation,) = [
        m for m in mail.outbox if "Your account" in m.subject and m.to == [ellen.email]
    ]
    assert "/accounts/password/reset/key/" in invitation.body


# A coordinator inviting themselves to the board ------------------------------------


@pytest.mark.django_db
def test_a_coordinator_cannot_move_an_application_to_the_board(client, coordinator, meetings_):
    application = make_application(state=JoinApplication.State.PARTICIPATING)
    joining.record_desire(application=application, meeting=meetings_["past_gm"], actor=coordinator)
    application.refresh_from_db()

    with pytest.raises(ValidationError, match="Only the Executive Board's members and the chairs"):
        joining.schedule_welcome(
            application=application, meeting=meetings_["board"], actor=coordinator
        )
    token = CalendarToken.issue(coordinator)
    feed = client.get(reverse("meetings:private-feed", args=[token])).content.decode()

    assert application.state == JoinApplication.State.DESIRE_EXPRESSED  # waits for the board
    assert Invitation.objects.count() == 0
    assert "meet.example.org/board" not in feed


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["the actor", "a role holder"])
def test_a_delegate_address_may_not_be_the_actors_or_a_role_holders(
    who, chair, coordinator, meetings_
):
    application = make_application(state=JoinApplication.State.DESIRE_EXPRESSED)
    address = chair.email if who == "the actor" else coordinator.email
    ProposedDelegate.objects.filter(application=application, kind="executive").update(email=address)

    with pytest.raises(ValidationError) as refused:
        joining.schedule_welcome(application=application, meeting=meetings_["board"], actor=chair)

    message = " ".join(refused.value.messages)
    assert ("You are named" in message) if who == "the actor" else ("holds a role" in message)
    assert Invitation.objects.count() == 0


# Board agendas mailed to a public list ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ahead",
    [datetime.timedelta(days=20), datetime.timedelta(days=3), datetime.timedelta(hours=1)],
)
def test_a_dry_run_before_a_board_meeting_plans_mail_only_to_its_audience(db, ahead):
    call_command("seed_demo", stdout=StringIO())
    board = Series.objects.get(audience=Audience.BOARD)
    # As a database from before this fix has it: the board announced to a public list.
    Series.objects.filter(pk=board.pk).update(mailing_list="user-committee@lists.example.org")
    meeting = Meeting.objects.filter(series=board, starts_at__gt=timezone.now()).earliest(
        "starts_at"
    )

    out = StringIO()
    call_command(
        "run_due_jobs", "--dry-run", "--at", (meeting.starts_at - ahead).isoformat(), stdout=out
    )

    planned = [
        line.rsplit(" -> ", 1)[1]
        for line in out.getvalue().splitlines()
        if f" meeting {meeting.pk} -> " in line
    ]
    people = {p.email: p for p in Person.objects.filter(email__in=planned)}
    assert sorted(people) == sorted(planned)  # no list, nobody without an account
    assert all(access_for(p).can_see_meeting(meeting) for p in people.values())
    if ahead <= datetime.timedelta(days=3):
        assert planned  # inside the announcement window, the board is told


@pytest.mark.django_db
def test_a_public_list_on_a_board_series_is_refused(client, chair, with_mfa):
    board = SeriesFactory(audience=Audience.BOARD, kind="board")
    board.mailing_list = "user-committee@lists.example.org"

    with pytest.raises(ValidationError) as refused:
        board.full_clean()
    board.mailing_list_private = True
    board.full_clean()  # the board's own closed list may hear it

    assert list(refused.value.message_dict) == ["mailing_list"]


# Staff status is not a chair's power ---------------------------------------------------


def _staff_with(*codenames: str) -> Person:
    person = PersonFactory(is_staff=True)
    person.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return person


@pytest.mark.django_db
def test_staff_status_alone_does_not_open_the_roles_page(client, with_mfa):
    plain_staff = _staff_with()
    role_admin = _staff_with("view_role", "change_role", "add_role")
    with_mfa(plain_staff)
    with_mfa(role_admin)

    client.force_login(plain_staff)
    refused = client.get(reverse("members:roles"))
    client.force_login(role_admin)
    allowed = client.get(reverse("members:roles"))

    assert (refused.status_code, allowed.status_code) == (403, 200)


@pytest.mark.django_db
def test_staff_who_may_change_people_cannot_make_anyone_superuser(client, with_mfa):
    staff = _staff_with("view_person", "change_person")
    with_mfa(staff)
    target = PersonFactory(email="target@example.org")
    client.force_login(staff)
    url = reverse("admin:members_person_change", args=[target.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: field.initial if field.initial is not None else ""
        for name, field in form.fields.items()
    }
    data.update(
        {
            "email": target.email,
            "full_name": target.full_name,
            "time_zone": "UTC",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        }
    )

    client.post(url, data)
    staff.refresh_from_db()
    target.refresh_from_db()

    assert "is_superuser" not in form.fields
    assert (target.is_superuser, staff.is_superuser) == (False, False)


# Board attendance in the participation figures ------------------------------------


@pytest.mark.django_db
def test_participation_csv_keeps_board_attendance_from_those_outside_the_board(
    client, coordinator, chair, with_mfa, company
):
    board = SeriesFactory(audience=Audience.BOARD, kind="board", name="Executive Board")
    held = timezone.now() - datetime.timedelta(days=2)
    meeting = MeetingFactory(
        series=board, starts_at=held, ends_at=held + datetime.timedelta(hours=1), status="held"
    )
    executive = PersonFactory(full_name="Eve Executive", company=company)
    attendance.record_attendance(meeting=meeting, people=[executive], guests=[], recorded_by=chair)
    with_mfa(chair)

    client.force_login(coordinator)
    outside = client.get(reverse("meetings:participation"), {"format": "csv"}).content.decode()
    page = client.get(reverse("meetings:participation"))
    client.force_login(chair)
    inside = client.get(reverse("meetings:participation"), {"format": "csv"}).content.decode()

    assert "Executive Board" not in outside
    assert f"{company.name},member,0,0,0,0" in outside
    assert "Eve Executive" not in page.content.decode()
    assert "Executive Board" in inside.splitlines()[0]
    assert f"{company.name},member,0,0,1,0,1" in inside


# Demo logins on a production database ----------------------------------------------


def test_seed_demo_refuses_to_run_in_production_mode():
    result = run_manage("seed_demo", env=PRODUCTION_ENV)

    assert result.returncode != 0
    assert "seed_demo makes logins with a published password" in result.stderr
    assert "Demo logins" not in result.stdout


@pytest.mark.django_db
def test_someone_invited_to_the_board_gets_time_and_link_but_not_the_agenda(
    client, participant, meetings_
):
    board = meetings_["board"]  # its agenda: "- Budget"
    Invitation.objects.create(meeting=board, name="Ivy Invitee", email=participant.email)
    token = CalendarToken.issue(participant)

    feed = client.get(reverse("meetings:private-feed", args=[token])).content.decode()

    assert "meet.example.org/board" in feed
    assert "Budget" not in feed


@pytest.mark.django_db
def test_a_refused_welcome_leaves_the_recorded_wish_to_join_standing(chair, coordinator, meetings_):
    application = make_application(state=JoinApplication.State.PARTICIPATING)
    ProposedDelegate.objects.filter(application=application, kind="executive").update(
        email=coordinator.email  # a role holder already: the welcome is refused
    )

    joining.record_desire(application=application, meeting=meetings_["past_gm"], actor=chair)
    application.refresh_from_db()

    assert application.state == JoinApplication.State.DESIRE_EXPRESSED
    assert application.welcome_meeting is None
    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_a_resend_of_the_board_announcement_skips_who_left_the_board(company, chair):
    executive = PersonFactory(email="old-exec@example.org", company=company)
    role = RoleFactory(person=executive, company=company, kind="executive")
    board = SeriesFactory(audience=Audience.BOARD, kind="board", cadence="explicit")
    start = timezone.now() + datetime.timedelta(days=5)
    meeting = MeetingFactory(
        series=board,
        slot=SlotFactory(series=board),
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    for person in (executive, chair):
        Delivery.objects.create(
            meeting=meeting,
            kind=Delivery.Kind.ANNOUNCEMENT,
            recipient=person.email,
            person=person,
            sequence=meeting.revision,
            status=Delivery.Status.SENT,
        )
    Role.objects.filter(pk=role.pk).update(
        ends_on=timezone.now().date() - datetime.timedelta(days=1)
    )

    count = announcements.resend(meeting=meeting, kind=Delivery.Kind.ANNOUNCEMENT)

    assert count == 1
    assert list(Delivery.objects.filter(round=1).values_list("recipient", flat=True)) == [
        chair.email
    ]


@pytest.mark.django_db
def test_staff_who_may_change_people_cannot_take_over_a_superuser(client, with_mfa, staff):
    clerk = _staff_with("view_person", "change_person")
    with_mfa(clerk)
    client.force_login(clerk)

    password = client.post(
        f"/admin/members/person/{staff.pk}/password/",
        {"password1": "taken-over-password-1", "password2": "taken-over-password-1"},
    )
    change = client.post(
        reverse("admin:members_person_change", args=[staff.pk]),
        {"email": "clerk-owns-this@example.org", "full_name": "x", "time_zone": "UTC"},
    )
    staff.refresh_from_db()

    assert password.status_code == 403
    assert change.status_code == 403
    assert staff.email != "clerk-owns-this@example.org"
    assert not staff.check_password("taken-over-password-1")


# Flooding and poisoning the page cache -------------------------------------------


def _page_keys() -> set[str]:
    from django.core.cache import cache

    return {key.split(":", 2)[-1] for key in cache._cache if ":page:" in key}


@pytest.mark.django_db
def test_made_up_query_parameters_add_no_cache_entries(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    client.get("/meetings/")
    before = _page_keys()

    answers = [client.get(f"/meetings/?junk={n}") for n in range(300)]

    assert {a.status_code for a in answers} == {200}
    assert {a.get("X-Page-Cache") for a in answers} == {None}
    assert _page_keys() == before


@pytest.mark.django_db
def test_page_requested_under_another_allowed_host_never_reaches_other_visitors(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.ALLOWED_HOSTS = ["portal.example.org", "evil.example.net"]
    settings.SITE_URL = "https://portal.example.org"
    meeting = MeetingFactory()

    poisoned = client.get(meeting.get_absolute_url(), headers={"host": "evil.example.net"})
    honest = client.get(meeting.get_absolute_url(), headers={"host": "portal.example.org"})

    assert poisoned.status_code == honest.status_code == 200
    assert honest["X-Page-Cache"] == "miss"
    assert "evil.example.net" not in poisoned.content.decode()
    assert "evil.example.net" not in honest.content.decode()


# A forgotten DEBUG=0 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [
        {"ALLOWED_HOSTS": "portal.example.org", "SITE_URL": "https://portal.example.org"},
        {"ALLOWED_HOSTS": ".example.org"},
        {"SITE_URL": "https://portal.example.org"},
        {"ALLOWED_HOSTS": "portal.example.org", "DEBUG": ""},
    ],
)
def test_production_looking_settings_without_debug_refuse_to_start(env):
    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "DEBUG is not set: set DEBUG=0 for production" in result.stderr
    assert "or DEBUG=1 to run development mode on purpose" in result.stderr
