"""Joining: from the web form to membership, through the group's own procedure."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meetings.models import Invitation
from members import joining
from members.models import Company, JoinApplication, Person, Role
from tests.factories import CompanyFactory, MeetingFactory, SeriesFactory, SlotFactory

State = JoinApplication.State


def form_data(**overrides):
    data = {
        "company_name": "Acme Cloud",
        "website": "https://acme.example.org",
        "hq_timezone": "Europe/Berlin",
        "contact_name": "Connie Contact",
        "contact_email": "connie@acme.example.org",
        "contact_role": "Head of cloud operations",
        "coordinator_name": "Cody Coord",
        "coordinator_email": "cody@acme.example.org",
        "coordinator2_name": "",
        "coordinator2_email": "",
        "executive_name": "Ellen Exec",
        "executive_email": "ellen@acme.example.org",
        "interests": "Upgrades at scale.",
        "commit_coordinator": "on",
        "commit_executive": "on",
        "commit_participate": "on",
        "homepage": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def meetings_(db):
    general = SeriesFactory(name="General Meeting", slug="gm", kind="general")
    SlotFactory(series=general)
    board = SeriesFactory(
        name="Executive Board",
        slug="board",
        kind="board",
        audience="board",
        cadence="explicit",
        conference_link="https://meet.example.org/board",
    )
    SlotFactory(series=board)
    now = timezone.now().replace(microsecond=0)
    past_gm = MeetingFactory(
        series=general,
        starts_at=now - datetime.timedelta(days=3),
        ends_at=now - datetime.timedelta(days=3) + datetime.timedelta(hours=1),
        status="held",
    )
    next_gm = MeetingFactory(
        series=general,
        starts_at=now + datetime.timedelta(days=4),
        ends_at=now + datetime.timedelta(days=4, hours=1),
    )
    next_board = MeetingFactory(
        series=board,
        starts_at=now + datetime.timedelta(days=30),
        ends_at=now + datetime.timedelta(days=30, hours=1),
        agenda="- Budget\n",
    )
    return {"past_gm": past_gm, "next_gm": next_gm, "board": next_board}


def apply(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("members:join"), form_data(**overrides))


def make_application(state=State.SUBMITTED, name="Acme Cloud"):
    application = joining.submit_application(
        company_name=name,
        website="https://acme.example.org",
        hq_timezone="Europe/Berlin",
        contact_name="Connie",
        contact_email=f"connie@{name.split()[0].lower()}.example.org",
        contact_role="Ops",
        interests="x",
        coordinators=[("Cody", "cody@acme.example.org")],
        executive=("Ellen", "ellen@acme.example.org"),
    )
    if state != State.SUBMITTED:
        JoinApplication.objects.filter(pk=application.pk).update(state=state)
        application.refresh_from_db()
    return application


@pytest.mark.django_db
def test_application_walks_from_form_to_membership(
    client, coordinator, meetings_, django_capture_on_commit_callbacks
):
    # 1. The form.
    response = apply(client, django_capture_on_commit_callbacks)
    application = JoinApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("members:join-thanks")
    assert application.state == State.SUBMITTED
    assert [m.to for m in mail.outbox] == [["connie@acme.example.org"]]

    # 2. The signed link: a GET only asks, the POST confirms.
    confirm_path = re.search(r"http://127.0.0.1:8000(/join/confirm/\S+/)", mail.outbox[0].body)[1]
    assert client.get(confirm_path).status_code == 200
    assert JoinApplication.objects.get().state == State.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_path)
    application.refresh_from_db()
    assert confirmed["Location"] == reverse("members:join-status", args=[application.status_token])
    assert application.state == State.CONFIRMED
    assert application.company.status == Company.Status.APPLICANT

    # 3. Its people take part in General Meetings; a coordinator moves it along.
    client.force_login(coordinator)
    action = reverse("members:application-action", args=[application.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action, {"action": "participating", "note": "Cody joined twice."})
        # 4. They said at a General Meeting that the company wants to join: the welcome
        # at the next board meeting is scheduled automatically.
        client.post(action, {"action": "desire", "meeting": meetings_["past_gm"].pk})
    application.refresh_from_db()
    board = meetings_["board"]
    board.refresh_from_db()
    assert application.state == State.WELCOME_SCHEDULED
    assert application.welcome_meeting == board
    assert list(Invitation.objects.values_list("meeting", "email")) == [
        (board.pk, "ellen@acme.example.org")
    ]
    assert "Welcome of Acme Cloud (executive representative: Ellen Exec)" in board.agenda
    assert "- Budget" in board.agenda
    invitation = next(m for m in mail.outbox if m.to == ["ellen@acme.example.org"])
    assert "https://meet.example.org/board" in invitation.body

    # 5. Welcomed at the board: a member, with accounts and roles.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action, {"action": "welcome"})
    application.refresh_from_db()
    company = application.company
    assert application.state == State.WELCOMED
    assert (company.status, company.joined_on) == ("member", board.starts_at.date())
    roles = sorted(Role.objects.filter(company=company).values_list("person__email", "kind"))
    assert roles == [
        ("cody@acme.example.org", "coordinator"),
        ("ellen@acme.example.org", "executive"),
    ]
    ellen = Person.objects.get(email="ellen@acme.example.org")
    assert not ellen.has_usable_password()
    account_mail = next(
        m for m in mail.outbox if "Your account" in m.subject and m.to == [ellen.email]
    )
    set_password = re.search(
        r"http://127.0.0.1:8000(/accounts/password/reset/key/\S+)", account_mail.body
    )[1]
    client.logout()
    assert client.get(set_password, follow=True).status_code == 200
    assert "Acme Cloud" in client.get(reverse("members:company-list")).content.decode()
    states = [e.to_state for e in application.events.all()]
    assert states == [
        "submitted",
        "confirmed",
        "participating",
        "desire-expressed",
        "welcome-scheduled",
        "welcomed",
    ]
    actors = {
        e.actor for e in application.events.all() if e.to_state not in ("submitted", "confirmed")
    }
    assert actors == {coordinator}
    assert application.events.get(to_state="desire-expressed").meeting == meetings_["past_gm"]
    # The contact heard of every step.
    contact_mail = [m for m in mail.outbox if m.to == ["connie@acme.example.org"]]
    assert len(contact_mail) == 6


ILLEGAL = [
    (State.SUBMITTED, joining.mark_participating),
    (State.CONFIRMED, joining.welcome),
    (State.PARTICIPATING, joining.welcome),
    (State.DESIRE_EXPRESSED, joining.mark_participating),
    (State.WELCOME_SCHEDULED, joining.mark_participating),
    (State.WELCOMED, joining.mark_participating),
    (State.DECLINED, joining.welcome),
    (State.WITHDRAWN, joining.mark_participating),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "step"), ILLEGAL)
def test_illegal_transitions_are_refused(state, step, coordinator):
    application = make_application(state)

    with pytest.raises(joining.TransitionRefused):
        step(application=application, actor=coordinator)

    assert JoinApplication.objects.get().state == state
    assert application.events.count() == 1  # only "submitted"


@pytest.mark.django_db
def test_desire_needs_a_general_meeting(coordinator, meetings_):
    application = make_application(State.PARTICIPATING)

    with pytest.raises(joining.ValidationError):
        joining.record_desire(
            application=application, meeting=meetings_["board"], actor=coordinator
        )

    assert JoinApplication.objects.get().state == State.PARTICIPATING


@pytest.mark.django_db
@pytest.mark.parametrize("state", JoinApplication.OPEN_STATES)
@pytest.mark.parametrize("how", ["decline", "withdraw"])
def test_declined_and_withdrawn_from_every_open_state(state, how, coordinator):
    application = make_application(state)

    if how == "decline":
        joining.decline(application=application, actor=coordinator, reason="Not a cloud operator")
    else:
        joining.withdraw(application=application, reason="Changed plans")

    application.refresh_from_db()
    assert application.state == (State.DECLINED if how == "decline" else State.WITHDRAWN)
    assert application.closed_reason in ("Not a cloud operator", "Changed plans")


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.WELCOMED, State.DECLINED, State.WITHDRAWN])
def test_closed_application_cannot_be_declined_or_withdrawn(state, coordinator):
    application = make_application(state)

    with pytest.raises(joining.TransitionRefused):
        joining.decline(application=application, actor=coordinator, reason="x")


@pytest.mark.django_db
def test_applicant_withdraws_on_status_page(client):
    application = make_application(State.CONFIRMED)
    url = reverse("members:join-status", args=[application.status_token])

    empty = client.post(url, {"reason": ""})
    done = client.post(url, {"reason": "We merged with another member."})

    application.refresh_from_db()
    assert empty.status_code == 400
    assert done.status_code == 302
    assert application.state == State.WITHDRAWN
    assert client.get(url)["Referrer-Policy"] == "no-referrer"


@pytest.mark.django_db
def test_status_page_needs_the_exact_token(client):
    application = make_application()

    assert (
        client.get(
            reverse("members:join-status", args=["x" + application.status_token[1:]])
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_honeypot_saves_nothing(client, django_capture_on_commit_callbacks):
    response = apply(client, django_capture_on_commit_callbacks, homepage="http://spam.example")

    assert response.status_code == 302
    assert JoinApplication.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_rate_limit_per_client_address(client, django_capture_on_commit_callbacks):
    statuses = [
        apply(client, django_capture_on_commit_callbacks, company_name=f"Company {n}").status_code
        for n in range(6)
    ]

    assert statuses == [302, 302, 302, 302, 302, 429]
    assert JoinApplication.objects.count() == 5
    other = client.post(
        reverse("members:join"), form_data(company_name="Other"), REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"commit_executive": ""}, "commit_executive", "Member companies delegate an executive"),
        ({"contact_email": "not-an-address"}, "contact_email", "valid email"),
        ({"executive_email": "x@"}, "executive_email", "valid email"),
        ({"hq_timezone": "Mars/Base"}, "hq_timezone", "Select a valid choice"),
        ({"company_name": "A" * 201}, "company_name", "at most 200 characters"),
        ({"coordinator2_name": "Half"}, "coordinator2_email", "both the name and the e-mail"),
    ],
)
def test_bad_input_shows_field_error_and_saves_nothing(client, overrides, field, message):
    response = client.post(reverse("members:join"), form_data(**overrides))

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert JoinApplication.objects.count() == 0
    assert 'value="Connie Contact"' in response.content.decode()


@pytest.mark.django_db
def test_member_company_or_open_application_refused(client):
    CompanyFactory(name="Orange")
    make_application(name="Acme Cloud")

    member = client.post(reverse("members:join"), form_data(company_name="orange"))
    twice = client.post(reverse("members:join"), form_data(company_name="ACME cloud"))

    assert "already a member" in member.content.decode()
    assert "open application already" in twice.content.decode()
    assert JoinApplication.objects.count() == 1


@pytest.mark.django_db
def test_html_in_fields_is_text_in_pages_and_mails(
    client, coordinator, django_capture_on_commit_callbacks
):
    payload = '<script>alert("x")</script><b>bold</b>'
    apply(
        client,
        django_capture_on_commit_callbacks,
        company_name="Evil " + payload[:60],
        interests=payload,
    )
    application = JoinApplication.objects.get()
    client.force_login(coordinator)

    body = client.get(reverse("members:application-detail", args=[application.pk])).content.decode()

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
    assert "<script>alert" in mail.outbox[0].body  # plain text shows it as text
    assert mail.outbox[0].content_subtype == "plain"


@pytest.mark.django_db
def test_applicant_addresses_only_for_coordinators(client, participant, executive, coordinator):
    application = make_application(State.CONFIRMED)
    urls = [
        reverse("members:application-list"),
        reverse("members:application-detail", args=[application.pk]),
    ]

    anonymous = [client.get(u).status_code for u in urls]
    client.force_login(participant)
    as_participant = [client.get(u).status_code for u in urls]
    client.force_login(executive)
    as_executive = [client.get(u).status_code for u in urls]
    client.force_login(coordinator)
    as_coordinator = [client.get(u) for u in urls]
    status_page = client.get(reverse("members:join-status", args=[application.status_token]))

    assert anonymous == [302, 302]
    assert as_participant == [403, 403]
    assert as_executive == [403, 403]
    assert [r.status_code for r in as_coordinator] == [200, 200]
    assert application.contact_email in as_coordinator[1].content.decode()
    assert "@" not in status_page.content.decode().split("<main")[1].split("</main>")[0]


@pytest.mark.django_db
def test_join_page_shows_next_general_meeting_in_viewer_zone(client, meetings_):
    client.cookies["lcoo_browser_tz"] = "Asia/Tokyo"

    body = client.get(reverse("members:join")).content.decode()

    stamp = meetings_["next_gm"].starts_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<time datetime="{stamp}">' in body
    assert "JST" in body


@pytest.mark.django_db
def test_expired_or_forged_confirmation_link_refused(client):
    application = make_application()
    token = joining.confirmation_token(application)

    forged = client.post(reverse("members:join-confirm", args=[token[:-2] + "xx"]))

    assert forged.status_code == 400
    assert JoinApplication.objects.get().state == State.SUBMITTED


@pytest.mark.django_db
def test_form_works_with_htmx_swap(client, django_capture_on_commit_callbacks):
    bad = client.post(
        reverse("members:join"), form_data(contact_email="nope"), headers={"HX-Request": "true"}
    )

    assert bad.status_code == 400
    assert 'id="join-form"' in bad.content.decode()
