"""Announcements, reminders, updates and cancellations, delivered to a real SMTP server."""

import datetime

import pytest
import vobject
from django.core.management import call_command
from django.urls import reverse

from meetings import announcements, services
from meetings.models import Delivery
from members.models import Role
from tests.factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)

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
    assert message["List-Id"] == announcements.LIST_ID


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
    services.update_meeting(
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
    services.save_note(
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
    services.cancel_meeting(meeting=group["meeting"], reason="Public holiday")

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

    down = announcements.deliver_pending(now=DUE)
    waiting = list(Delivery.objects.values_list("status", "attempts"))
    too_early = announcements.deliver_pending(now=DUE + datetime.timedelta(seconds=5))
    mail_server.start()
    back = announcements.deliver_pending(now=DUE + datetime.timedelta(minutes=1))
    again = announcements.deliver_pending(now=DUE + datetime.timedelta(minutes=2))

    assert (down.retried, too_early.claimed, back.sent, again.claimed) == (3, 0, 3, 0)
    assert waiting == [("pending", 1)] * 3
    assert {len(ids) for ids in mail_server.recorder.by_recipient().values()} == {1}
    assert "ConnectionRefusedError" in Delivery.objects.first().last_error


@pytest.mark.django_db
def test_backoff_doubles_and_is_capped():
    assert [announcements.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert announcements.backoff(20) == datetime.timedelta(hours=2)


@pytest.mark.django_db
def test_claimed_rows_of_a_dead_worker_are_taken_again_after_the_lease(group, settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    announcements.decide_due(DUE)
    claimed = announcements.claim(now=DUE)

    while_leased = announcements.claim(now=DUE + datetime.timedelta(seconds=30))
    after_lease = announcements.claim(now=DUE + datetime.timedelta(seconds=61))

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
