"""Announcements, reminders, updates and cancellations, delivered to a real SMTP server."""

import datetime
import socket
import zoneinfo

import icalendar
import pytest
import vobject
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from lcoo.celery import app as celery_app
from meetings import announcements, notes, scheduling, sending, tasks
from meetings.ical import uid_for
from meetings.messages import list_id
from meetings.models import Delivery, Meeting
from members.models import Person, Role
from tests.factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)
from tests.mailserver import Recorder

UTC = datetime.UTC
START = datetime.datetime(2030, 3, 5, 13, 0, tzinfo=UTC)  # a Tuesday, 14:00 in Paris
DUE = START - datetime.timedelta(days=2)  # inside the General Meeting's three days


@pytest.fixture
def group(db):
    orange = CompanyFactory(name="Orange", hq_timezone="Europe/Paris")
    ntt = CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    people = {
        "cora": PersonFactory(email="cora@example.org", time_zone="Asia/Tokyo", company=ntt),
        "carl": PersonFactory(email="carl@example.org", time_zone="America/New_York"),
        "eve": PersonFactory(email="eve@example.org", company=orange, wants_reminders=True),
        "pat": PersonFactory(email="pat@example.org", wants_reminders=True),
    }
    RoleFactory(person=people["cora"], company=ntt, kind=Role.Kind.COORDINATOR)
    RoleFactory(person=people["carl"], company=orange, kind=Role.Kind.COORDINATOR)
    RoleFactory(person=people["eve"], company=orange, kind=Role.Kind.EXECUTIVE)
    series = SeriesFactory(
        name="General Meeting",
        kind="general",
        cadence="explicit",  # no generated meetings: the one below is the whole series
        announce_days_ahead=3,
        mailing_list="user-committee@lists.example.org",
        conference_link="https://meet.example.org/gm",
    )
    slot = SlotFactory(series=series, zone="Europe/Paris")
    meeting = MeetingFactory(
        series=series,
        slot=slot,
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=1),
        agenda="1. Status\n2. <script>alert(1)</script> Forum planning",
    )
    return {"people": people, "series": series, "meeting": meeting}


def run_due(at):
    call_command("run_due_jobs", "--at", at.isoformat())


@pytest.mark.django_db
def test_announcement_not_decided_before_its_window(group):
    assert announcements.decide_due(START - datetime.timedelta(days=4)) == 0


@pytest.mark.django_db
def test_deciding_twice_creates_each_message_once(group):
    first = announcements.decide_due(DUE)
    second = announcements.decide_due(DUE + datetime.timedelta(minutes=5))

    recipients = sorted(Delivery.objects.values_list("recipient", flat=True))
    assert (first, second) == (3, 0)
    assert recipients == [
        "carl@example.org",
        "cora@example.org",
        "user-committee@lists.example.org",
    ]


@pytest.mark.django_db
def test_run_due_jobs_twice_delivers_one_announcement_per_recipient(group, mail_server):
    run_due(DUE)
    run_due(DUE + datetime.timedelta(minutes=5))

    received = mail_server.recorder.by_recipient()
    assert {rcpt: len(ids) for rcpt, ids in received.items()} == {
        "carl@example.org": 1,
        "cora@example.org": 1,
        "user-committee@lists.example.org": 1,
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_announcement_has_parsable_ics_with_the_feed_uid_and_sequence(group, mail_server):
    run_due(DUE)

    message = next(
        r.message for r in mail_server.recorder.received if r.envelope_to == ["cora@example.org"]
    )
    ics = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    calendar = vobject.readOne(
        ics.get_content() if isinstance(ics.get_content(), str) else ics.get_content().decode()
    )
    event = calendar.vevent
    assert calendar.method.value == "PUBLISH"
    assert event.uid.value.startswith(str(group["meeting"].uid))
    assert int(event.sequence.value) == 0
    assert event.dtstart.value.astimezone(UTC) == START
    assert message["Message-ID"] == Delivery.objects.get(recipient="cora@example.org").message_id
    assert message["List-Id"] == list_id()


@pytest.mark.django_db
def test_mail_shows_recipient_zone_first_then_company_zones(group, mail_server):
    run_due(DUE)

    by_rcpt = {r.envelope_to[0]: r.message for r in mail_server.recorder.received}
    cora = by_rcpt["cora@example.org"].get_body(("plain",)).get_content()
    carl = by_rcpt["carl@example.org"].get_body(("plain",)).get_content()
    assert "When: Tuesday 5 March 2030, 22:00–23:00 JST (Asia/Tokyo)" in cora
    assert "When: Tuesday 5 March 2030, 08:00–09:00 EST (America/New_York)" in carl
    assert "NTT                  Tue 22:00 JST (Asia/Tokyo)" in cora
    assert "Orange               Tue 14:00 CET (Europe/Paris)" in cora
    assert by_rcpt["cora@example.org"]["Subject"] == "General Meeting — Tue 05 Mar 2030 22:00 JST"


@pytest.mark.django_db
def test_conference_link_only_to_people_allowed(group, mail_server):
    run_due(DUE)

    bodies = {
        r.envelope_to[0]: r.message.get_body(("plain",)).get_content()
        for r in mail_server.recorder.received
    }
    assert "https://meet.example.org/gm" in bodies["cora@example.org"]
    assert "https://meet.example.org/gm" not in bodies["user-committee@lists.example.org"]


@pytest.mark.django_db
def test_html_in_agenda_is_inert_in_mail(group, mail_server):
    run_due(DUE)

    message = mail_server.recorder.received[0].message
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<script>" not in html
    assert "<script>alert(1)</script>" in text  # plain text shows it as text


@pytest.mark.django_db
def test_change_after_announcement_sends_update_with_new_sequence(group, mail_server):
    run_due(DUE)
    meeting = group["meeting"]
    scheduling.update_meeting(
        meeting=meeting,
        starts_at=START + datetime.timedelta(hours=2),
        duration_minutes=60,
        topic="",
        conference_link="",
    )

    run_due(DUE + datetime.timedelta(hours=1))
    run_due(DUE + datetime.timedelta(hours=2))

    updates = Delivery.objects.filter(kind="update")
    assert sorted(updates.values_list("recipient", "sequence")) == [
        ("carl@example.org", 1),
        ("cora@example.org", 1),
        ("user-committee@lists.example.org", 1),
    ]
    assert {len(ids) for ids in mail_server.recorder.by_recipient().values()} == {2}
    latest = mail_server.recorder.received[-1].message
    assert latest["Subject"].startswith("Changed: General Meeting")


@pytest.mark.django_db
def test_agenda_change_after_announcement_sends_update(group, mail_server):
    run_due(DUE)
    notes.save_note(
        meeting=group["meeting"],
        field="agenda",
        text="New agenda",
        author=group["people"]["carl"],
        base_revision_id=None,
    )

    run_due(DUE + datetime.timedelta(hours=1))

    assert Delivery.objects.filter(kind="update").count() == 3


@pytest.mark.django_db
def test_cancellation_notice_uses_method_cancel(group, mail_server):
    run_due(DUE)
    scheduling.cancel_meeting(meeting=group["meeting"], reason="Public holiday")

    run_due(DUE + datetime.timedelta(hours=1))

    cancel = mail_server.recorder.received[-1].message
    ics = next(p for p in cancel.iter_attachments() if p.get_content_type() == "text/calendar")
    content = ics.get_content()
    calendar = vobject.readOne(content if isinstance(content, str) else content.decode())
    assert calendar.method.value == "CANCEL"
    assert calendar.vevent.status.value == "CANCELLED"
    assert "Public holiday" in cancel.get_body(("plain",)).get_content()
    assert Delivery.objects.filter(kind="cancellation").count() == 3


@pytest.mark.django_db
def test_reminder_a_day_ahead_only_to_people_who_opted_in_and_may_attend(group, mail_server):
    run_due(START - datetime.timedelta(hours=20))

    reminders = sorted(Delivery.objects.filter(kind="reminder").values_list("recipient", flat=True))
    # Eve and Pat asked for reminders; only people in a General Meeting's audience
    # (coordinators and chairs) get one, so neither does here.
    assert reminders == []
    group["people"]["carl"].wants_reminders = True
    group["people"]["carl"].save()
    run_due(START - datetime.timedelta(hours=19))
    assert list(Delivery.objects.filter(kind="reminder").values_list("recipient", flat=True)) == [
        "carl@example.org"
    ]


@pytest.mark.django_db
def test_smtp_server_down_then_back_delivers_once(group, mail_server):
    mail_server.stop()
    announcements.decide_due(DUE)

    down = sending.deliver_pending(now=DUE)
    waiting = list(Delivery.objects.values_list("status", "attempts"))
    too_early = sending.deliver_pending(now=DUE + datetime.timedelta(seconds=5))
    mail_server.start()
    back = sending.deliver_pending(now=DUE + datetime.timedelta(minutes=1))
    again = sending.deliver_pending(now=DUE + datetime.timedelta(minutes=2))

    assert (down.retried, too_early.claimed, back.sent, again.claimed) == (3, 0, 3, 0)
    assert waiting == [("pending", 1)] * 3
    assert {len(ids) for ids in mail_server.recorder.by_recipient().values()} == {1}
    assert "ConnectionRefusedError" in Delivery.objects.first().last_error


@pytest.mark.django_db
def test_backoff_doubles_and_is_capped_at_half_an_hour():
    assert [sending.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert [sending.backoff(n).total_seconds() for n in (6, 7, 20, 32767)] == [
        960,
        1800,
        1800,
        1800,
    ]


@pytest.mark.django_db
def test_claimed_rows_of_a_dead_worker_are_taken_again_after_the_lease(group, settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    announcements.decide_due(DUE)
    claimed = sending.claim(now=DUE)

    while_leased = sending.claim(now=DUE + datetime.timedelta(seconds=30))
    after_lease = sending.claim(now=DUE + datetime.timedelta(seconds=61))

    assert (len(claimed), len(while_leased), len(after_lease)) == (3, 0, 3)


@pytest.mark.django_db
def test_resend_to_one_recipient_is_a_new_message(
    client, group, mail_server, django_capture_on_commit_callbacks
):
    run_due(DUE)
    carl = group["people"]["carl"]
    client.force_login(carl)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meetings:deliveries", args=[group["meeting"].pk]),
            {"kind": "announcement", "recipient": "CORA@example.org"},
        )

    ids = mail_server.recorder.by_recipient()["cora@example.org"]
    assert response.status_code == 302
    assert len(ids) == 2
    assert ids[0] != ids[1]
    assert len(mail_server.recorder.by_recipient()["carl@example.org"]) == 1


@pytest.mark.django_db
def test_resend_refuses_what_was_never_sent(client, group):
    client.force_login(group["people"]["carl"])

    response = client.post(
        reverse("meetings:deliveries", args=[group["meeting"].pk]),
        {"kind": "cancellation", "recipient": ""},
    )

    assert response.status_code == 400
    assert "nothing to send again" in response.content.decode()
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_lists_messages_and_changes_nothing(group, capsys):
    call_command("run_due_jobs", "--dry-run", "--at", DUE.isoformat())

    out = capsys.readouterr().out.splitlines()
    prefix = f"announcement 2030-03-05T13:00Z {group['series'].slug} meeting {group['meeting'].pk}"
    assert out[:3] == [
        f"{prefix} -> {r}"
        for r in ["carl@example.org", "cora@example.org", "user-committee@lists.example.org"]
    ]
    assert out[-1] == "dry run: 0 meetings would be created, 3 messages would go out"
    assert out[3:-1] == []
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_board_announcement_goes_to_executives_with_link(db, mail_server):
    company = CompanyFactory(name="Intel")
    exec_ = PersonFactory(email="exec@example.org")
    RoleFactory(person=exec_, company=company, kind=Role.Kind.EXECUTIVE)
    RoleFactory(person=PersonFactory(email="coord@example.org"), company=company)
    board = SeriesFactory(
        name="Executive Board",
        kind="board",
        audience="board",
        cadence="explicit",
        announce_days_ahead=14,
        conference_link="https://meet.example.org/b",
    )
    MeetingFactory(series=board, starts_at=START, ends_at=START + datetime.timedelta(hours=1))

    run_due(START - datetime.timedelta(days=10))

    received = mail_server.recorder.received
    assert [r.envelope_to for r in received] == [["exec@example.org"]]
    assert "https://meet.example.org/b" in received[0].message.get_body(("plain",)).get_content()


# Reading what was delivered ----------------------------------------------------------

LINK = "https://meet.example.org/gm"
LIST = "user-committee@lists.example.org"


def calendar_of(message) -> icalendar.Calendar:
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def decoded_text(message) -> str:
    """Every part of the message as the reader sees it (whatever its transfer encoding)."""
    return "".join(
        part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart()
    )


def messages_by_recipient(mail_server) -> dict[str, list]:
    result: dict[str, list] = {}
    for item in mail_server.recorder.received:
        result.setdefault(item.envelope_to[0], []).append(item.message)
    return result


def subjects_by_recipient(mail_server) -> dict[str, list[str]]:
    return {
        rcpt: [m["Subject"] for m in messages]
        for rcpt, messages in messages_by_recipient(mail_server).items()
    }


class RefusingRecorder(Recorder):
    """A mail server that answers RCPT TO as told for some addresses."""

    def __init__(self, answers: dict[str, str]):
        super().__init__()
        self.answers = answers

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def silent_port():
    """A port that takes connections and never says a word: a hung mail server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# Nothing is given up while the server is away -----------------------------------------


@pytest.mark.django_db
def test_mail_server_away_for_hours_keeps_rows_pending_with_capped_backoff(group, mail_server):
    mail_server.stop()
    announcements.decide_due(DUE)
    now, retried, delays = DUE, [], []

    for _ in range(12):  # more than an hour of attempts, past any old limit
        retried.append(sending.deliver_pending(now=now).retried)
        later = Delivery.objects.order_by("next_attempt_at").first().next_attempt_at
        delays.append((later - now).total_seconds())
        now = later
    waiting = sorted(Delivery.objects.values_list("recipient", "status", "attempts"))
    mail_server.start()
    back = sending.deliver_pending(now=now)

    assert retried == [3] * 12
    assert delays == [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800, 1800, 1800]
    assert now - DUE == datetime.timedelta(hours=3, minutes=31, seconds=30)
    assert waiting == [
        ("carl@example.org", "pending", 12),
        ("cora@example.org", "pending", 12),
        (LIST, "pending", 12),
    ]
    assert (back.sent, back.failed) == (3, 0)
    assert {r: len(ids) for r, ids in mail_server.recorder.by_recipient().items()} == {
        "carl@example.org": 1,
        "cora@example.org": 1,
        LIST: 1,
    }


@pytest.mark.django_db
def test_mail_server_that_never_answers_times_out_and_rows_wait(group, settings, silent_port):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": silent_port, "timeout": 0.3},
        }
    }
    announcements.decide_due(DUE)

    result = sending.deliver_pending(now=DUE)

    assert (result.sent, result.retried, result.failed) == (0, 3, 0)
    assert set(Delivery.objects.values_list("status", "attempts", "last_error")) == {
        ("pending", 1, "SMTPServerDisconnected: Connection unexpectedly closed: timed out")
    }


@pytest.mark.django_db
def test_permanent_refusal_fails_that_recipient_and_a_temporary_one_waits(group, mail_server):
    refusing = RefusingRecorder(
        {
            "cora@example.org": "550 5.1.1 No such user here",
            "carl@example.org": "450 4.2.1 Mailbox busy, try later",
        }
    )
    mail_server.stop()
    mail_server.recorder = refusing
    mail_server.start()
    announcements.decide_due(DUE)

    first = sending.deliver_pending(now=DUE)
    second = sending.deliver_pending(now=DUE + datetime.timedelta(seconds=30))
    del refusing.answers["carl@example.org"]  # Carl's mailbox takes mail again
    third = sending.deliver_pending(now=DUE + datetime.timedelta(seconds=90))
    fourth = sending.deliver_pending(now=DUE + datetime.timedelta(days=1))

    counts = [(r.sent, r.retried, r.failed) for r in (first, second, third, fourth)]
    assert counts == [(1, 1, 1), (0, 1, 0), (1, 0, 0), (0, 0, 0)]
    assert sorted(Delivery.objects.values_list("recipient", "status", "attempts")) == [
        ("carl@example.org", "sent", 3),
        ("cora@example.org", "failed", 1),
        (LIST, "sent", 1),
    ]
    assert Delivery.objects.get(recipient="cora@example.org").last_error == (
        "SMTPRecipientsRefused: {'cora@example.org': (550, b'5.1.1 No such user here')}"
    )
    assert {r: len(ids) for r, ids in refusing.by_recipient().items()} == {
        "carl@example.org": 1,
        LIST: 1,
    }


# What everyone was told ------------------------------------------------------------


@pytest.mark.django_db
def test_resend_to_one_after_a_time_change_keeps_the_update_for_everyone(group, mail_server):
    run_due(DUE)
    meeting = group["meeting"]
    scheduling.update_meeting(
        meeting=meeting,
        starts_at=START + datetime.timedelta(hours=2),
        duration_minutes=60,
        topic="",
        conference_link="",
    )
    announcements.resend(
        meeting=meeting,
        kind="announcement",
        recipient="cora@example.org",
        now=DUE + datetime.timedelta(minutes=10),
    )

    run_due(DUE + datetime.timedelta(hours=1))

    assert sorted(
        Delivery.objects.filter(kind="update").values_list("recipient", "sequence", "round")
    ) == [("carl@example.org", 1, 0), ("cora@example.org", 1, 0), (LIST, 1, 0)]
    assert subjects_by_recipient(mail_server) == {
        "carl@example.org": [
            "General Meeting — Tue 05 Mar 2030 08:00 EST",
            "Changed: General Meeting — Tue 05 Mar 2030 10:00 EST",
        ],
        "cora@example.org": [
            "General Meeting — Tue 05 Mar 2030 22:00 JST",
            "General Meeting — Wed 06 Mar 2030 00:00 JST",
            "Changed: General Meeting — Wed 06 Mar 2030 00:00 JST",
        ],
        LIST: [
            "General Meeting — Tue 05 Mar 2030 14:00 CET",
            "Changed: General Meeting — Tue 05 Mar 2030 16:00 CET",
        ],
    }


# The .ics attachment is the feeds' event -----------------------------------------------


@pytest.mark.django_db
def test_ics_attachment_event_equals_the_feeds_event(client, group, mail_server):
    run_due(DUE)
    meeting = Meeting.objects.get(pk=group["meeting"].pk)
    mails = {r.envelope_to[0]: r.message for r in mail_server.recorder.received}
    feed = client.get(reverse("meetings:series-feed", args=[group["series"].slug]))
    client.force_login(group["people"]["cora"])
    download = client.get(reverse("meetings:event-ics", args=[meeting.pk]))

    to_list, to_cora = calendar_of(mails[LIST]), calendar_of(mails["cora@example.org"])
    from_feed = icalendar.Calendar.from_ical(feed.content)
    from_download = icalendar.Calendar.from_ical(download.content)
    event = event_of(to_cora)
    assert (feed.status_code, download.status_code) == (200, 200)
    # The list gets what an anonymous reader of the feed gets; Cora what she downloads.
    assert event_of(to_list).to_ical() == event_of(from_feed).to_ical()
    assert event.to_ical() == event_of(from_download).to_ical()
    assert [tz.to_ical() for tz in to_cora.walk("VTIMEZONE")] == [
        tz.to_ical() for tz in from_feed.walk("VTIMEZONE")
    ]
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == (
        uid_for(meeting),
        0,
        "CONFIRMED",
    )
    assert (event["DTSTART"].params["TZID"], event["DTEND"].params["TZID"]) == (
        "Europe/Paris",
        "Europe/Paris",
    )
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        START,
        START + datetime.timedelta(hours=1),
    )
    # Written as the slot's wall-clock time in its zone, as the feeds write it.
    assert (event["DTSTART"].to_ical(), event["DTEND"].to_ical()) == (
        b"20300305T140000",
        b"20300305T150000",
    )
    assert (str(to_cora["METHOD"]), str(to_list["METHOD"])) == ("PUBLISH", "PUBLISH")


@pytest.mark.django_db
def test_cancellation_ics_event_equals_the_feeds_cancelled_event(client, group, mail_server):
    run_due(DUE)
    scheduling.cancel_meeting(meeting=group["meeting"], reason="Public holiday")
    run_due(DUE + datetime.timedelta(hours=1))
    meeting = Meeting.objects.get(pk=group["meeting"].pk)

    notice = messages_by_recipient(mail_server)[LIST][-1]
    feed = client.get(reverse("meetings:series-feed", args=[group["series"].slug]))
    calendar = calendar_of(notice)
    event = event_of(calendar)

    assert event.to_ical() == event_of(icalendar.Calendar.from_ical(feed.content)).to_ical()
    assert (
        str(calendar["METHOD"]),
        str(event["UID"]),
        event["SEQUENCE"],
        str(event["STATUS"]),
    ) == (
        "CANCEL",
        uid_for(meeting),
        1,
        "CANCELLED",
    )


@pytest.mark.django_db
def test_update_after_a_time_change_carries_the_meetings_revision(group, mail_server):
    run_due(DUE)
    scheduling.update_meeting(
        meeting=group["meeting"],
        starts_at=START + datetime.timedelta(hours=2),
        duration_minutes=60,
        topic="",
        conference_link="",
    )
    run_due(DUE + datetime.timedelta(hours=1))
    meeting = Meeting.objects.get(pk=group["meeting"].pk)

    update = messages_by_recipient(mail_server)["cora@example.org"][-1]
    calendar = calendar_of(update)
    event = event_of(calendar)

    assert meeting.revision == 1
    assert (str(calendar["METHOD"]), event["SEQUENCE"], event.decoded("DTSTART")) == (
        "PUBLISH",
        meeting.revision,
        START + datetime.timedelta(hours=2),
    )
    row = Delivery.objects.get(kind="update", recipient="cora@example.org")
    assert (update["Message-ID"], row.sequence) == (row.message_id, meeting.revision)
    assert f"{meeting.uid}.update.1." in update["Message-ID"]


# The conference link, only where it may go ----------------------------------------------


def link_places(message, link: str = LINK) -> tuple[bool, str | None, bool]:
    """(in the HTML part, the .ics LOCATION, anywhere in the message at all)"""
    html = message.get_body(("html",)).get_content()
    location = event_of(calendar_of(message)).get("LOCATION")
    return (f'href="{link}"' in html, location and str(location), link in decoded_text(message))


@pytest.mark.django_db
def test_conference_link_in_html_and_ics_only_for_people_allowed(group, mail_server):
    run_due(DUE)

    mails = {r.envelope_to[0]: r.message for r in mail_server.recorder.received}

    assert {rcpt: link_places(message) for rcpt, message in mails.items()} == {
        "carl@example.org": (True, LINK, True),
        "cora@example.org": (True, LINK, True),
        LIST: (False, None, False),
    }
    # Eve (an executive) and Pat (no role) are outside a General Meeting's audience.
    assert "eve@example.org" not in mails
    assert "pat@example.org" not in mails


@pytest.mark.django_db
def test_someone_who_left_the_audience_hears_no_more_of_the_board_meeting(db, mail_server):
    """An update carries the board's agenda: it goes only to those who may still see it."""
    company = CompanyFactory(name="Intel")
    executive = PersonFactory(email="exec@example.org")
    role = RoleFactory(person=executive, company=company, kind=Role.Kind.EXECUTIVE)
    board = SeriesFactory(
        name="Executive Board",
        kind="board",
        audience="board",
        cadence="explicit",
        announce_days_ahead=14,
        conference_link="https://meet.example.org/board",
        mailing_list="board@lists.example.org",
        mailing_list_private=True,  # the board's own list
    )
    meeting = MeetingFactory(
        series=board,
        slot=SlotFactory(series=board, zone="Europe/Paris"),
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=1),
    )
    run_due(START - datetime.timedelta(days=10))
    # The executive representative steps down before the meeting moves.
    Role.objects.filter(pk=role.pk).update(
        ends_on=django_settings_today() - datetime.timedelta(days=1)
    )
    scheduling.update_meeting(
        meeting=meeting,
        starts_at=START + datetime.timedelta(hours=1),
        duration_minutes=60,
        topic="",
        conference_link="",
    )

    run_due(START - datetime.timedelta(days=9))

    link = "https://meet.example.org/board"
    assert {
        rcpt: [(m["Subject"], link_places(m, link)) for m in messages]
        for rcpt, messages in messages_by_recipient(mail_server).items()
    } == {
        "exec@example.org": [
            ("Executive Board — Tue 05 Mar 2030 13:00 UTC", (True, link, True)),
        ],
        "board@lists.example.org": [
            ("Executive Board — Tue 05 Mar 2030 14:00 CET", (False, None, False)),
            ("Changed: Executive Board — Tue 05 Mar 2030 15:00 CET", (False, None, False)),
        ],
    }


def django_settings_today() -> datetime.date:
    from members.models import today

    return today()


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["meeting", "series"])
def test_changed_conference_link_sends_an_update_with_the_new_link(group, mail_server, where):
    run_due(DUE)
    new_link = "https://meet.example.org/new-room"
    meeting, series = group["meeting"], group["series"]
    if where == "meeting":
        scheduling.update_meeting(
            meeting=meeting,
            starts_at=START,
            duration_minutes=60,
            topic="",
            conference_link=new_link,
        )
    else:
        series.conference_link = new_link
        series.save()
        scheduling.series_link_changed(series=series, now=DUE)

    run_due(DUE + datetime.timedelta(hours=1))

    updates = {
        rcpt: (
            messages[-1]["Subject"].split(":")[0],
            event_of(calendar_of(messages[-1]))["SEQUENCE"],
            link_places(messages[-1], new_link),
        )
        for rcpt, messages in messages_by_recipient(mail_server).items()
    }
    assert updates == {
        "carl@example.org": ("Changed", 1, (True, new_link, True)),
        "cora@example.org": ("Changed", 1, (True, new_link, True)),
        LIST: ("Changed", 1, (False, None, False)),
    }


# Resending, reminders, cancellations --------------------------------------------------


@pytest.mark.django_db
def test_resend_to_everyone_sends_each_recipient_a_new_message(
    client, group, mail_server, django_capture_on_commit_callbacks
):
    run_due(DUE)
    client.force_login(group["people"]["carl"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meetings:deliveries", args=[group["meeting"].pk]),
            {"kind": "announcement", "recipient": ""},
        )

    received = mail_server.recorder.by_recipient()
    assert response.status_code == 302
    assert {rcpt: (len(ids), len(set(ids))) for rcpt, ids in received.items()} == {
        "carl@example.org": (2, 2),
        "cora@example.org": (2, 2),
        LIST: (2, 2),
    }
    assert sorted(Delivery.objects.filter(round=1).values_list("recipient", "status")) == [
        ("carl@example.org", "sent"),
        ("cora@example.org", "sent"),
        (LIST, "sent"),
    ]


@pytest.mark.django_db
def test_opting_in_on_the_profile_form_brings_the_next_reminder(client, group, mail_server):
    carl = group["people"]["carl"]
    client.force_login(carl)

    response = client.post(
        reverse("members:profile"),
        {"full_name": carl.full_name, "time_zone": "America/New_York", "wants_reminders": "on"},
    )
    run_due(START - datetime.timedelta(hours=20))

    reminders = [
        (r.envelope_to, r.message["Subject"])
        for r in mail_server.recorder.received
        if r.message["Subject"].startswith("Reminder:")
    ]
    assert response.status_code == 302
    assert Person.objects.get(pk=carl.pk).wants_reminders is True
    assert reminders == [
        (["carl@example.org"], "Reminder: General Meeting — Tue 05 Mar 2030 08:00 EST")
    ]


@pytest.mark.django_db
def test_reminders_are_decided_again_for_people_who_opt_in_later(group, mail_server):
    cora, carl = group["people"]["cora"], group["people"]["carl"]
    Person.objects.filter(pk=cora.pk).update(wants_reminders=True)
    run_due(START - datetime.timedelta(hours=20))
    Person.objects.filter(pk=carl.pk).update(wants_reminders=True)
    run_due(START - datetime.timedelta(hours=19))
    scheduling.update_meeting(  # a new SEQUENCE: still one reminder each
        meeting=group["meeting"],
        starts_at=START + datetime.timedelta(minutes=30),
        duration_minutes=60,
        topic="",
        conference_link="",
    )

    run_due(START - datetime.timedelta(hours=18))

    assert sorted(
        Delivery.objects.filter(kind="reminder").values_list("recipient", "sequence", "status")
    ) == [("carl@example.org", 0, "sent"), ("cora@example.org", 0, "sent")]
    reminded = [
        r.envelope_to[0]
        for r in mail_server.recorder.received
        if r.message["Subject"].startswith("Reminder:")
    ]
    assert reminded == ["cora@example.org", "carl@example.org"]


@pytest.mark.django_db
def test_database_keeps_one_reminder_per_person_and_meeting(group):
    meeting = group["meeting"]
    Delivery.objects.create(
        meeting=meeting, kind="reminder", recipient="cora@example.org", sequence=0
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            meeting=meeting, kind="reminder", recipient="cora@example.org", sequence=1
        )
    Delivery.objects.create(  # a resend is a new round, and allowed
        meeting=meeting, kind="reminder", recipient="cora@example.org", sequence=1, round=1
    )

    assert Delivery.objects.filter(kind="reminder").count() == 2


@pytest.mark.django_db
def test_meeting_cancelled_while_its_announcement_waits_sends_only_the_cancellation(
    group, mail_server
):
    mail_server.stop()
    run_due(DUE)  # decided, but the mail server is away
    scheduling.cancel_meeting(meeting=group["meeting"], reason="Public holiday")
    mail_server.start()

    run_due(DUE + datetime.timedelta(hours=1))

    assert sorted(Delivery.objects.values_list("kind", "recipient", "status")) == [
        ("announcement", "carl@example.org", "superseded"),
        ("announcement", "cora@example.org", "superseded"),
        ("announcement", LIST, "superseded"),
        ("cancellation", "carl@example.org", "sent"),
        ("cancellation", "cora@example.org", "sent"),
        ("cancellation", LIST, "sent"),
    ]
    assert subjects_by_recipient(mail_server) == {
        "carl@example.org": ["Cancelled: General Meeting — Tue 05 Mar 2030 08:00 EST"],
        "cora@example.org": ["Cancelled: General Meeting — Tue 05 Mar 2030 22:00 JST"],
        LIST: ["Cancelled: General Meeting — Tue 05 Mar 2030 14:00 CET"],
    }


@pytest.mark.django_db
def test_sender_supersedes_waiting_mail_of_a_meeting_cancelled_since(group, mail_server):
    mail_server.stop()
    announcements.decide_due(DUE)
    sending.deliver_pending(now=DUE)
    scheduling.cancel_meeting(meeting=group["meeting"], reason="Public holiday")
    mail_server.start()

    # A worker's retry comes before the next decision run.
    result = sending.deliver_pending(now=DUE + datetime.timedelta(minutes=1))

    assert (result.superseded, result.claimed) == (3, 0)
    assert mail_server.recorder.count() == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"superseded"}


@pytest.mark.django_db
def test_mail_still_waiting_when_its_meeting_is_over_is_superseded(group, mail_server):
    mail_server.stop()
    announcements.decide_due(DUE)
    sending.deliver_pending(now=DUE)
    mail_server.start()

    result = sending.deliver_pending(now=START + datetime.timedelta(hours=1))

    assert (result.superseded, result.claimed) == (3, 0)
    assert mail_server.recorder.count() == 0


# The rotation and the schedule --------------------------------------------------------


@pytest.mark.django_db
def test_run_due_jobs_extends_every_series_over_its_horizon(capsys):
    series = SeriesFactory(
        name="Rotating General Meeting",
        kind="general",
        cadence="weekly",
        interval=2,
        anchor=datetime.date(2026, 1, 5),
        horizon_months=3,
    )
    SlotFactory(series=series, weekday=1, local_time=datetime.time(14), zone="Europe/Paris")
    at = datetime.datetime(2030, 1, 1, tzinfo=UTC)

    call_command("run_due_jobs", "--at", at.isoformat())
    call_command("run_due_jobs", "--at", at.isoformat())

    # Every other Tuesday from the anchor's week, 14:00 in Paris, over three months.
    paris, horizon = zoneinfo.ZoneInfo("Europe/Paris"), datetime.datetime(2030, 4, 1, tzinfo=UTC)
    tuesdays = (datetime.date(2026, 1, 6) + datetime.timedelta(weeks=2 * k) for k in range(120))
    expected = [
        moment
        for day in tuesdays
        if at < (moment := datetime.datetime.combine(day, datetime.time(14), paris)) < horizon
    ]
    assert list(series.meetings.order_by("starts_at").values_list("starts_at", flat=True)) == [
        m.astimezone(UTC) for m in expected
    ]
    assert len(expected) == 7
    assert capsys.readouterr().out.splitlines() == [
        "7 meetings created; 0 messages decided; 0 sent, 0 to retry, 0 failed, 0 superseded",
        "0 meetings created; 0 messages decided; 0 sent, 0 to retry, 0 failed, 0 superseded",
    ]


def test_beat_schedule_extends_rotations_daily_and_sends_mail_every_five_minutes():
    schedule = django_settings.CELERY_BEAT_SCHEDULE

    assert {name: (entry["task"], entry["schedule"]) for name, entry in schedule.items()} == {
        "extend-rotations": ("meetings.tasks.extend_rotations", 24 * 3600),
        "announcements-and-reminders": ("meetings.tasks.decide_and_send", 5 * 60),
        "outbox-sweep": ("lcoo.tasks.send_pending_mail", 60),
        "outbox-forget-bodies": ("lcoo.tasks.forget_sent_mail_bodies", 24 * 3600),
    }
    assert celery_app.conf.beat_schedule == schedule
    celery_app.autodiscover_tasks(force=True)  # what a worker imports as it starts
    assert {entry["task"] for entry in schedule.values()} <= set(celery_app.tasks)
    assert (tasks.extend_rotations.name, tasks.decide_and_send.name) == (
        "meetings.tasks.extend_rotations",
        "meetings.tasks.decide_and_send",
    )
