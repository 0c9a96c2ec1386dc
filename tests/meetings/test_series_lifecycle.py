"""Ending a series from a date, and reopening it: its meetings, mail, feeds and pages."""

import datetime
import zoneinfo

import pytest
import vobject
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from meetings import announcements, scheduling
from meetings.models import Delivery, Series
from tests.factories import PersonFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
# The forum meets the first Tuesday of the month, 14:00 in Paris: 5 Feb 2030 at 13:00 UTC.
FEB = datetime.datetime(2030, 2, 5, 13, 0, tzinfo=UTC)
ANNOUNCED = datetime.datetime(2030, 2, 1, 9, 0, tzinfo=UTC)  # inside its 7 days
END_FROM = datetime.datetime(2030, 2, 3, tzinfo=PARIS)
LIST = "forum@lists.example.org"


@pytest.fixture
def forum(db):
    series = SeriesFactory(
        name="Topical Forum",
        slug="forum",
        kind="forum",
        cadence="monthly",
        interval=1,
        monthly_ordinal=1,
        anchor=datetime.date(2030, 1, 1),
        duration_minutes=90,
        announce_days_ahead=7,
        horizon_months=6,
        mailing_list=LIST,
    )
    SlotFactory(series=series, weekday=1, local_time=datetime.time(14, 0), zone="Europe/Paris")
    scheduling.extend_series(series=series, now=NOW)
    PersonFactory(email="ana@example.org")
    PersonFactory(email="ben@example.org")
    return series


def forum_meetings(series: Series) -> list[tuple[int, str, int]]:
    return list(
        series.meetings.order_by("starts_at").values_list("sequence_index", "status", "revision")
    )


def announce_and_send(mail_server, at: datetime.datetime) -> None:
    call_command("run_due_jobs", "--at", at.isoformat())


@pytest.mark.django_db
def test_end_cancels_coming_meetings_and_keeps_past_ones(forum):
    edited = forum.meetings.get(starts_at=FEB + datetime.timedelta(days=28))
    edited.move(
        starts_at=edited.starts_at + datetime.timedelta(hours=1),
        ends_at=edited.ends_at + datetime.timedelta(hours=1),
    )

    result = scheduling.end_series(
        series=forum, from_instant=END_FROM, reason="Merged into the GM", by=None, now=ANNOUNCED
    )

    forum.refresh_from_db()
    edited.refresh_from_db()
    assert result == scheduling.EndResult(cancelled=5)
    assert (forum.is_active, forum.ended_on, forum.end_reason) == (
        False,
        END_FROM,
        "Merged into the GM",
    )
    assert forum_meetings(forum) == [
        (0, "scheduled", 0),
        (1, "cancelled", 1),
        (2, "cancelled", 2),
        (3, "cancelled", 1),
        (4, "cancelled", 1),
        (5, "cancelled", 1),
    ]
    assert edited.edited is True
    assert set(
        forum.meetings.filter(status="cancelled").values_list("cancel_reason", flat=True)
    ) == {"Merged into the GM"}


@pytest.mark.django_db
def test_end_twice_or_without_reason_is_refused(forum):
    with pytest.raises(ValidationError):
        scheduling.end_series(series=forum, from_instant=END_FROM, reason="  ", by=None)
    scheduling.end_series(series=forum, from_instant=END_FROM, reason="Done", by=None, now=NOW)

    with pytest.raises(ValidationError):
        scheduling.end_series(series=forum, from_instant=END_FROM, reason="Again", by=None)

    assert forum.meetings.filter(status="cancelled").count() == 5


@pytest.mark.django_db
def test_ended_forum_plans_no_announcement_and_its_cancellation_goes_out_once(
    forum, mail_server, capsys
):
    announce_and_send(mail_server, ANNOUNCED)
    announced = {r.envelope_to[0] for r in mail_server.recorder.received}
    scheduling.end_series(
        series=forum, from_instant=END_FROM, reason="Merged", by=None, now=ANNOUNCED
    )
    capsys.readouterr()

    call_command("run_due_jobs", "--dry-run", "--at", "2030-02-01T10:00:00+00:00")
    dry_run = capsys.readouterr().out.splitlines()
    announce_and_send(mail_server, datetime.datetime(2030, 2, 1, 10, tzinfo=UTC))
    announce_and_send(mail_server, datetime.datetime(2030, 2, 1, 11, tzinfo=UTC))
    later = announcements.plan_due(datetime.datetime(2030, 3, 1, tzinfo=UTC), series=forum)

    feb = forum.meetings.get(starts_at=FEB)
    assert announced == {"ana@example.org", "ben@example.org", LIST}
    assert [line.split()[0] for line in dry_run[:-1]] == ["cancellation"] * 3
    assert dry_run[-1] == "dry run: 0 meetings would be created, 3 messages would go out"
    assert later == []
    assert sorted(
        Delivery.objects.filter(kind="cancellation").values_list("meeting", "recipient")
    ) == [(feb.pk, "ana@example.org"), (feb.pk, "ben@example.org"), (feb.pk, LIST)]
    subjects = [r.message["Subject"] for r in mail_server.recorder.received[3:]]
    assert len(subjects) == 3
    assert {s.split(":")[0] for s in subjects} == {"Cancelled"}


@pytest.mark.django_db
def test_pending_announcements_of_the_ended_series_are_superseded(forum):
    announcements.decide_due(ANNOUNCED)
    scheduling.end_series(
        series=forum, from_instant=END_FROM, reason="Merged", by=None, now=ANNOUNCED
    )

    announcements.decide_due(ANNOUNCED + datetime.timedelta(minutes=5))

    assert set(Delivery.objects.values_list("kind", "status")) == {
        ("announcement", "superseded"),
        ("cancellation", "pending"),
    }


@pytest.mark.django_db
def test_end_from_a_later_date_keeps_meetings_before_it_announced(forum):
    from_march = datetime.datetime(2030, 3, 2, tzinfo=PARIS)
    scheduling.end_series(series=forum, from_instant=from_march, reason="Done", by=None, now=NOW)

    planned = announcements.plan_due(ANNOUNCED, series=forum)

    assert {row.meeting.starts_at for row in planned} == {FEB}
    assert [s for _, s, _ in forum_meetings(forum)] == ["scheduled"] * 2 + ["cancelled"] * 4


@pytest.mark.django_db
def test_reopen_restores_coming_meetings_and_extends_without_duplicates(forum, mail_server):
    announce_and_send(mail_server, ANNOUNCED)
    scheduling.end_series(
        series=forum, from_instant=END_FROM, reason="Merged", by=None, now=ANNOUNCED
    )
    announce_and_send(mail_server, ANNOUNCED + datetime.timedelta(hours=1))
    reopen_at = datetime.datetime(2030, 2, 2, tzinfo=UTC)

    result = scheduling.reopen_series(series=forum, now=reopen_at)
    announce_and_send(mail_server, reopen_at + datetime.timedelta(hours=1))

    forum.refresh_from_db()
    assert (forum.is_active, forum.ended_on, forum.end_reason) == (True, None, "")
    # The run at ANNOUNCED had extended the horizon by a meeting (index 6); all six
    # meetings to come were cancelled by the end and are scheduled again.
    assert result.restored == 6
    assert result.extended == scheduling.ExtendResult()
    assert forum_meetings(forum) == [(0, "scheduled", 0)] + [
        (k, "scheduled", 2) for k in range(1, 7)
    ]
    assert sorted(Delivery.objects.filter(kind="update").values_list("recipient", "sequence")) == [
        ("ana@example.org", 2),
        ("ben@example.org", 2),
        (LIST, 2),
    ]
    assert forum.meetings.filter(edited=True).count() == 0


@pytest.mark.django_db
def test_reopen_later_regenerates_the_horizon_and_leaves_past_cancellations(forum):
    scheduling.end_series(series=forum, from_instant=END_FROM, reason="Paused", by=None, now=NOW)
    reopen_at = datetime.datetime(2030, 3, 10, tzinfo=UTC)

    result = scheduling.reopen_series(series=forum, now=reopen_at)

    assert result.restored == 3
    assert result.extended == scheduling.ExtendResult(created=3, moved=0, cancelled=0)
    assert forum_meetings(forum) == [
        (0, "scheduled", 0),
        (1, "cancelled", 1),
        (2, "cancelled", 1),
        (3, "scheduled", 2),
        (4, "scheduled", 2),
        (5, "scheduled", 2),
        (6, "scheduled", 0),
        (7, "scheduled", 0),
        (8, "scheduled", 0),
    ]


@pytest.mark.django_db
def test_reopen_of_a_running_series_is_refused(forum):
    with pytest.raises(ValidationError):
        scheduling.reopen_series(series=forum, now=NOW)


@pytest.mark.django_db
def test_ended_series_cannot_be_switched_back_on_in_its_form(forum):
    scheduling.end_series(series=forum, from_instant=END_FROM, reason="Done", by=None, now=NOW)
    forum.refresh_from_db()
    forum.is_active = True

    with pytest.raises(ValidationError) as error:
        forum.full_clean()

    assert list(error.value.message_dict) == ["is_active"]


# Pages and feeds ----------------------------------------------------------------------


def feed_events(client, series) -> dict[str, tuple[str, int]]:
    body = client.get(reverse("meetings:series-feed", args=[series.slug])).content.decode()
    return {
        str(e.uid.value): (e.status.value, int(e.sequence.value))
        for e in vobject.readOne(body).vevent_list
    }


@pytest.mark.django_db
def test_coordinator_ends_and_reopens_the_forum_from_its_page(client, coordinator, forum):
    client.force_login(coordinator)
    before = feed_events(client, forum)
    page = client.get(reverse("meetings:series-end", args=[forum.slug]))

    ended = client.post(
        reverse("meetings:series-end", args=[forum.slug]),
        {"from_date": "2030-02-03", "reason": "Merged into the GM"},
    )
    after_end = feed_events(client, forum)
    listing = client.get(reverse("meetings:list")).content.decode()
    home = client.get("/").context["next_meetings"]
    series_page = client.get(forum.get_absolute_url()).content.decode()
    reopened = client.post(reverse("meetings:series-reopen", args=[forum.slug]))
    after_reopen = feed_events(client, forum)
    series_page_after = client.get(forum.get_absolute_url()).content.decode()

    forum.refresh_from_db()
    assert page.status_code == 200
    assert "Dates are in your zone, UTC" in page.content.decode()
    assert (ended.status_code, ended["Location"]) == (302, forum.get_absolute_url())
    assert (reopened.status_code, reopened["Location"]) == (302, forum.get_absolute_url())
    assert before.keys() == after_end.keys()
    assert sorted(after_end.values()) == [("CANCELLED", 1)] * 5 + [("CONFIRMED", 0)]
    assert listing.count("badge-warn") == 5
    # The home page leaves cancelled meetings out, as it always has.
    assert [m.starts_at for m in home] == [datetime.datetime(2030, 1, 1, 13, tzinfo=UTC)]
    assert (
        'Ended on <time datetime="2030-02-03T00:00:00Z">3 February 2030</time></strong> (UTC)'
        in series_page
    )
    # Like any cancelled meeting, the cancelled ones leave the series page's next meetings.
    assert series_page.count('class="meeting-row') == 1
    assert after_reopen.keys() == before.keys()
    assert sorted(after_reopen.values()) == [("CONFIRMED", 0)] + [("CONFIRMED", 2)] * 5
    assert "Ended on" not in series_page_after
    assert series_page_after.count('class="meeting-row') == 6
    assert (forum.ended_by, forum.is_active) == (None, True)


@pytest.mark.django_db
def test_end_page_records_who_ended_it_in_the_viewers_zone(client, coordinator, forum):
    coordinator.time_zone = "Asia/Tokyo"
    coordinator.save()
    client.force_login(coordinator)

    client.post(
        reverse("meetings:series-end", args=[forum.slug]),
        {"from_date": "2030-02-03", "reason": "Merged"},
    )

    forum.refresh_from_db()
    assert forum.ended_on == datetime.datetime(2030, 2, 2, 15, 0, tzinfo=UTC)
    assert forum.ended_by == coordinator


@pytest.mark.django_db
def test_end_page_abuse(client, participant, coordinator, forum):
    board = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    url = reverse("meetings:series-end", args=[forum.slug])
    data = {"from_date": "2030-02-03", "reason": "Merged"}

    anonymous = client.post(url, data)
    client.force_login(participant)
    as_participant = client.post(url, data)
    client.force_login(coordinator)
    board_page = client.post(reverse("meetings:series-end", args=[board.slug]), data)
    forged = client.post(reverse("meetings:series-end", args=["no-such-series"]), data)
    control = client.post(url, {"from_date": "2030-02-03", "reason": "Merged\x07"})
    no_date = client.post(url, {"from_date": "", "reason": "Merged"})
    first = client.post(url, data)
    replay = client.post(url, {"from_date": "2030-03-03", "reason": "Again"}, follow=True)
    reopen_get = client.get(reverse("meetings:series-reopen", args=[forum.slug]))

    forum.refresh_from_db()
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert as_participant.status_code == 403
    assert board_page.status_code == 404
    assert forged.status_code == 404
    assert control.status_code == 400
    assert no_date.status_code == 400
    assert "Merged\x07" in control.content.decode()
    assert first.status_code == 302
    assert "has ended already: nothing changed" in replay.content.decode()
    assert (forum.ended_on, forum.end_reason) == (
        datetime.datetime(2030, 2, 3, tzinfo=UTC),
        "Merged",
    )
    assert forum.meetings.filter(status="cancelled").count() == 5
    assert reopen_get.status_code == 405


@pytest.mark.django_db
def test_chair_ends_a_board_series(client, chair, with_mfa):
    board = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    client.force_login(with_mfa(chair))

    response = client.post(
        reverse("meetings:series-end", args=[board.slug]),
        {"from_date": "2030-02-03", "reason": "Replaced"},
    )

    board.refresh_from_db()
    assert response.status_code == 302
    assert (board.is_active, board.end_reason) == (False, "Replaced")


@pytest.mark.django_db
def test_meeting_moved_by_hand_stays_where_it_was_put_after_end_and_reopen(forum):
    march = forum.meetings.get(sequence_index=2)
    moved_to = march.starts_at + datetime.timedelta(hours=3)
    march.move(starts_at=moved_to, ends_at=moved_to + forum.duration)
    scheduling.end_series(series=forum, from_instant=END_FROM, reason="Paused", by=None, now=NOW)
    forum.slots.update(local_time=datetime.time(9, 0))

    scheduling.reopen_series(series=forum, now=ANNOUNCED)

    march.refresh_from_db()
    april = forum.meetings.get(sequence_index=3)
    assert (march.status, march.edited, march.starts_at) == ("scheduled", True, moved_to)
    assert (april.status, april.edited, april.starts_at) == (
        "scheduled",
        False,
        datetime.datetime(2030, 4, 2, 7, 0, tzinfo=UTC),
    )
