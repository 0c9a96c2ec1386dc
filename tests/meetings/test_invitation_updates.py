"""Someone invited by name to a board meeting hears when it moves or is cancelled: the
time and the link, never the board's agenda."""

import datetime

import pytest
from django.core.management import call_command

from meetings import scheduling
from meetings.models import Delivery, Invitation
from members.models import Role
from tests.factories import MeetingFactory, PersonFactory, RoleFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
START = datetime.datetime(2030, 3, 5, 13, 0, tzinfo=UTC)
ANNOUNCED = START - datetime.timedelta(days=10)
OUTSIDER = "new.exec@acme.example"
LINK = "https://meet.example.org/board"
AGENDA = "Welcome of Acme; the budget figures nobody else may read"


@pytest.fixture
def board(db):
    series = SeriesFactory(
        name="Executive Board",
        slug="board",
        kind="board",
        audience="board",
        cadence="explicit",
        announce_days_ahead=14,
        conference_link=LINK,
    )
    SlotFactory(series=series)
    RoleFactory(person=PersonFactory(email="eve@example.org"), kind=Role.Kind.EXECUTIVE)
    PersonFactory(email="pat@example.org")  # a participant, not invited
    meeting = MeetingFactory(
        series=series, starts_at=START, ends_at=START + datetime.timedelta(hours=1), agenda=AGENDA
    )
    Invitation.objects.create(meeting=meeting, name="Nia New", email="New.Exec@acme.example")
    return meeting


def run_due(at: datetime.datetime) -> None:
    call_command("run_due_jobs", "--at", at.isoformat())


def received(mail_server) -> list[tuple[str, str, str]]:
    """(recipient, subject, plain text) of every message delivered, in order."""
    return [
        (r.envelope_to[0], r.message["Subject"], r.message.get_body(("plain",)).get_content())
        for r in mail_server.recorder.received
    ]


@pytest.mark.django_db
def test_moved_board_meeting_sends_the_invited_outsider_an_update_without_the_agenda(
    board, mail_server
):
    run_due(ANNOUNCED)
    scheduling.update_meeting(
        meeting=board,
        starts_at=START + datetime.timedelta(hours=2),
        duration_minutes=60,
        topic="",
        conference_link="",
    )

    run_due(ANNOUNCED + datetime.timedelta(hours=1))

    mail = received(mail_server)
    assert [(to, subject) for to, subject, _ in mail] == [
        ("eve@example.org", "Executive Board — Tue 05 Mar 2030 13:00 UTC"),
        (OUTSIDER, "Executive Board — Tue 05 Mar 2030 14:00 CET"),
        ("eve@example.org", "Changed: Executive Board — Tue 05 Mar 2030 15:00 UTC"),
        (OUTSIDER, "Changed: Executive Board — Tue 05 Mar 2030 16:00 CET"),
    ]
    update_text = mail[3][2]
    assert "16:00" in update_text
    assert LINK in update_text
    assert "budget" not in update_text
    assert AGENDA in mail[2][2]
    outsider_update = mail_server.recorder.received[3].message
    ics = next(
        p for p in outsider_update.iter_attachments() if p.get_content_type() == "text/calendar"
    )
    assert b"budget" not in ics.get_payload(decode=True)
    assert sorted(
        Delivery.objects.filter(kind="update").values_list("recipient", "person__email")
    ) == [("eve@example.org", "eve@example.org"), (OUTSIDER, None)]


@pytest.mark.django_db
def test_cancelled_board_meeting_sends_the_invited_outsider_the_cancellation(board, mail_server):
    run_due(ANNOUNCED)
    scheduling.cancel_meeting(meeting=board, reason="Postponed to April")

    run_due(ANNOUNCED + datetime.timedelta(hours=1))

    cancellations = [
        (to, text) for to, subject, text in received(mail_server) if subject.startswith("Cancelled")
    ]
    assert [to for to, _ in cancellations] == ["eve@example.org", OUTSIDER]
    assert "Postponed to April" in cancellations[1][1]
    assert "budget" not in cancellations[1][1]
    assert "pat@example.org" not in {to for to, _, _ in received(mail_server)}


@pytest.mark.django_db
def test_invited_before_the_announcement_hears_of_a_cancellation_nobody_else_heard_of(
    board, mail_server
):
    scheduling.cancel_meeting(meeting=board, reason="Postponed")

    run_due(ANNOUNCED)

    assert [(to, subject.split(":")[0]) for to, subject, _ in received(mail_server)] == [
        (OUTSIDER, "Cancelled")
    ]


@pytest.mark.django_db
def test_invited_after_the_announcement_still_hears_of_the_change(board, mail_server):
    run_due(ANNOUNCED)
    Invitation.objects.create(meeting=board, name="Gus Guest", email="gus@speaker.example")
    scheduling.cancel_meeting(meeting=board, reason="Postponed")

    run_due(ANNOUNCED + datetime.timedelta(hours=1))

    assert sorted(
        Delivery.objects.filter(kind="cancellation").values_list("recipient", flat=True)
    ) == [
        "eve@example.org",
        "gus@speaker.example",
        OUTSIDER,
    ]


@pytest.mark.django_db
def test_invited_address_of_someone_in_the_audience_gets_one_mail_as_a_member(board, mail_server):
    Invitation.objects.create(meeting=board, name="Eve", email="EVE@example.org")

    run_due(ANNOUNCED)

    announcements_sent = Delivery.objects.filter(kind="announcement")
    assert sorted(announcements_sent.values_list("recipient", "person__email")) == [
        ("eve@example.org", "eve@example.org"),
        (OUTSIDER, None),
    ]
    eve_text = [text for to, _, text in received(mail_server) if to == "eve@example.org"]
    assert len(eve_text) == 1
    assert AGENDA in eve_text[0]


@pytest.mark.django_db
def test_withdrawn_invitation_hears_nothing_more(board, mail_server):
    run_due(ANNOUNCED)
    Invitation.objects.filter(meeting=board).delete()
    scheduling.cancel_meeting(meeting=board, reason="Postponed")

    run_due(ANNOUNCED + datetime.timedelta(hours=1))

    assert list(
        Delivery.objects.filter(kind="cancellation").values_list("recipient", flat=True)
    ) == ["eve@example.org"]


@pytest.mark.django_db
def test_ending_the_board_series_cancels_for_the_invited_too(board, mail_server):
    run_due(ANNOUNCED)
    scheduling.end_series(
        series=board.series, from_instant=ANNOUNCED, reason="Replaced", by=None, now=ANNOUNCED
    )

    run_due(ANNOUNCED + datetime.timedelta(hours=1))

    assert sorted(
        Delivery.objects.filter(kind="cancellation").values_list("recipient", flat=True)
    ) == [
        "eve@example.org",
        OUTSIDER,
    ]
