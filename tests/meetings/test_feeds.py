"""Calendar feeds, read back with independent parsers (vobject; recurring-ical-events)."""

import datetime

import pytest
import recurring_ical_events
import vobject
from django.urls import reverse
from django.utils.http import http_date
from icalendar import Calendar

from meetings import scheduling
from meetings.models import CalendarToken, Meeting, calendar_token_hash
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory
from tests.meetings.helpers import shown_calendar_tokens

UTC = datetime.UTC


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def parse(body: bytes):
    return vobject.readOne(body.decode())


def events(body: bytes) -> dict[str, object]:
    return {str(e.uid.value): e for e in parse(body).vevent_list}


@pytest.fixture
def rotating(db):
    """A fortnightly series rotating through Paris, Sydney, New York and Kolkata slots."""
    series = SeriesFactory(
        name="General Meeting",
        slug="general",
        anchor=datetime.date(2026, 1, 5),
        conference_link="https://meet.example.org/secret-room",
    )
    for position, (weekday, hour, zone) in enumerate(
        [
            (1, 14, "Europe/Paris"),
            (2, 9, "Australia/Sydney"),
            (1, 11, "America/New_York"),
            (3, 18, "Asia/Kolkata"),
        ]
    ):
        SlotFactory(
            series=series,
            position=position,
            weekday=weekday,
            local_time=datetime.time(hour),
            zone=zone,
        )
    scheduling.extend_series(series=series, now=utc(2026, 1, 1))
    return series


@pytest.fixture
def board(db):
    series = SeriesFactory(
        name="Executive Board",
        slug="board",
        kind="board",
        audience="board",
        cadence="explicit",
        conference_link="https://meet.example.org/board-room",
    )
    slot = SlotFactory(series=series, zone="Europe/Paris")
    return MeetingFactory(series=series, slot=slot, topic="Budget")


@pytest.mark.django_db
def test_public_feed_instants_match_meetings_across_dst_both_hemispheres(client, rotating):
    response = client.get(reverse("meetings:ical-feed"))

    calendar = Calendar.from_ical(response.content)
    expanded = recurring_ical_events.of(calendar).between(utc(2025, 12, 1), utc(2027, 3, 1))
    from_feed = sorted(
        (e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC)) for e in expanded
    )
    from_portal = sorted(rotating.meetings.values_list("starts_at", "ends_at"))
    by_vobject = sorted(
        e.dtstart.value.astimezone(UTC) for e in parse(response.content).vevent_list
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert from_feed == from_portal
    assert by_vobject == [start for start, _ in from_portal]
    assert len(from_portal) == 26


@pytest.mark.django_db
def test_feed_events_keep_slot_wall_clock_with_tzid_and_vtimezone(client, rotating):
    calendar = parse(client.get(reverse("meetings:ical-feed")).content)

    tzids = {tz.tzid.value for tz in calendar.vtimezone_list}
    local: dict[str, set[str]] = {}
    for event in calendar.vevent_list:
        # vobject resolves TZID through the feed's own VTIMEZONE and keeps the name here.
        zone = event.dtstart.params["X-VOBJ-ORIGINAL-TZID"][0]
        local.setdefault(zone, set()).add(event.dtstart.value.strftime("%a %H:%M"))
    assert tzids == {"Europe/Paris", "Australia/Sydney", "America/New_York", "Asia/Kolkata"}
    assert local == {
        "Europe/Paris": {"Tue 14:00"},
        "Australia/Sydney": {"Wed 09:00"},
        "America/New_York": {"Tue 11:00"},
        "Asia/Kolkata": {"Thu 18:00"},
    }


@pytest.mark.django_db
def test_uids_stable_and_unique_and_sequence_grows_on_changes(client, rotating):
    first = events(client.get(reverse("meetings:ical-feed")).content)
    meeting = rotating.meetings.get(sequence_index=2)
    uid = next(u for u in first if u.startswith(str(meeting.uid)))
    scheduling.update_meeting(
        meeting=meeting,
        starts_at=meeting.starts_at + datetime.timedelta(hours=1),
        duration_minutes=60,
        topic="Moved",
        conference_link="",
    )
    scheduling.cancel_meeting(meeting=rotating.meetings.get(sequence_index=3), reason="Holiday")

    second = events(client.get(reverse("meetings:ical-feed")).content)

    assert set(second) == set(first)
    assert len(first) == 26
    assert int(first[uid].sequence.value) == 0
    assert int(second[uid].sequence.value) == 1
    assert second[uid].summary.value == "General Meeting: Moved"
    cancelled = next(e for e in second.values() if e.status.value == "CANCELLED")
    assert int(cancelled.sequence.value) == 1
    meeting.refresh_from_db()
    assert second[uid].last_modified.value == meeting.updated_at.replace(microsecond=0)


@pytest.mark.django_db
def test_series_link_change_grows_sequence_of_future_meetings(rotating):
    before = set(rotating.meetings.values_list("revision", flat=True))

    changed = scheduling.series_link_changed(series=rotating, now=utc(2026, 1, 1))

    assert before == {0}
    assert changed == 26
    assert set(rotating.meetings.values_list("revision", flat=True)) == {1}


@pytest.mark.django_db
def test_feed_has_calendar_properties_and_meeting_url(client, rotating):
    body = client.get(reverse("meetings:ical-feed")).content.decode()
    calendar = parse(body.encode())
    event = calendar.vevent_list[0]

    assert calendar.contents["x-wr-calname"][0].value == "LCOO meetings"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    assert event.url.value.startswith("http://127.0.0.1:8000/meetings/")
    assert event.url.value in event.description.value
    assert event.summary.value == "General Meeting"


@pytest.mark.django_db
def test_public_feeds_leak_no_conference_link_and_no_board_meeting(
    client, rotating, board, executive
):
    client.force_login(executive)  # even a logged-in executive gets the public view here

    bodies = [
        client.get(reverse("meetings:ical-feed")).content,
        client.get(reverse("meetings:series-feed", args=["general"])).content,
        client.get(reverse("meetings:kind-feed", args=["general"])).content,
    ]

    for body in bodies:
        text = body.decode()
        assert "secret-room" not in text
        assert "board-room" not in text
        assert "Budget" not in text
        assert "LOCATION" not in text
    assert client.get(reverse("meetings:series-feed", args=["board"])).status_code == 404
    board_kind = client.get(reverse("meetings:kind-feed", args=["board"])).content
    assert parse(board_kind).contents.get("vevent", []) == []


@pytest.mark.django_db
def test_private_feed_for_executive_has_board_meeting_and_links(client, rotating, board, executive):
    token = CalendarToken.issue(executive)

    body = client.get(reverse("meetings:private-feed", args=[token])).content.decode()

    uids = events(body.encode())
    assert len(uids) == 27
    assert "board-room" in body
    assert "secret-room" in body


@pytest.mark.django_db
def test_private_feed_for_participant_has_links_but_no_board(client, rotating, board, participant):
    token = CalendarToken.issue(participant)

    body = client.get(reverse("meetings:private-feed", args=[token])).content.decode()

    assert len(events(body.encode())) == 26
    assert "secret-room" in body
    assert "Budget" not in body


@pytest.mark.django_db
def test_private_feed_refuses_wrong_and_regenerated_tokens(client, participant, rotating):
    client.force_login(participant)
    page = client.get(reverse("meetings:calendar-settings"))
    [old] = shown_calendar_tokens(page)

    renewed = client.post(reverse("meetings:calendar-regenerate"), follow=True)
    [new] = shown_calendar_tokens(renewed)
    client.logout()

    assert client.get(reverse("meetings:private-feed", args=[old])).status_code == 404
    assert (
        client.get(reverse("meetings:private-feed", args=["wrong-" + new[6:]])).status_code == 404
    )
    assert client.get(reverse("meetings:private-feed", args=[new])).status_code == 200
    assert len(new) >= 40
    assert new != old


@pytest.mark.django_db
def test_calendar_page_shows_the_private_address_only_once(client, participant):
    client.force_login(participant)

    first = client.get(reverse("meetings:calendar-settings"))
    again = client.get(reverse("meetings:calendar-settings"))

    [token] = shown_calendar_tokens(first)
    assert CalendarToken.objects.get(person=participant).token_hash == calendar_token_hash(token)
    assert shown_calendar_tokens(again) == []
    assert "You have a private address, made" in again.content.decode()
    assert "Make a new address" in again.content.decode()


@pytest.mark.django_db
def test_calendar_page_shows_a_renewed_address_once(client, participant):
    client.force_login(participant)
    [old] = shown_calendar_tokens(client.get(reverse("meetings:calendar-settings")))

    renewed = client.post(reverse("meetings:calendar-regenerate"), follow=True)
    again = client.get(reverse("meetings:calendar-settings"))

    [new] = shown_calendar_tokens(renewed)
    assert new != old
    assert CalendarToken.objects.get(person=participant).token_hash == calendar_token_hash(new)
    assert shown_calendar_tokens(again) == []


@pytest.mark.django_db
def test_calendar_page_is_private_and_never_stored(client, participant):
    client.force_login(participant)

    issuing = client.get(reverse("meetings:calendar-settings"))
    later = client.get(reverse("meetings:calendar-settings"))

    assert issuing["Cache-Control"] == "private, no-store"
    assert later["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_feeds_keep_their_cache_headers(client, participant, rotating):
    token = CalendarToken.issue(participant)

    private = client.get(reverse("meetings:private-feed", args=[token]))
    public = client.get(reverse("meetings:ical-feed"))

    assert (private["Cache-Control"], private["Vary"]) == (
        "private, max-age=300",
        "Accept-Encoding, Cookie",
    )
    assert (public["Cache-Control"], public["Vary"]) == (
        "public, max-age=300",
        "Accept-Encoding, Cookie",
    )
    assert len(private["ETag"]) == 34  # 32 hex digits, quoted


@pytest.mark.django_db
def test_conditional_get_answers_304_with_etag_and_last_modified(
    client, rotating, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 300  # a shared cache: Last-Modified can be told
    url = reverse("meetings:ical-feed")
    first = client.get(url)

    with django_assert_max_num_queries(1):
        by_etag = client.get(url, headers={"If-None-Match": first["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    scheduling.cancel_meeting(meeting=rotating.meetings.first(), reason="Holiday")
    after_change = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert (by_etag.status_code, by_date.status_code, after_change.status_code) == (304, 304, 200)
    assert by_etag.content == b""
    assert after_change["ETag"] != first["ETag"]


@pytest.mark.django_db
def test_feed_query_count_does_not_grow_with_meetings(
    client, rotating, django_assert_max_num_queries
):
    from django.core.cache import cache

    url = reverse("meetings:ical-feed")
    with django_assert_max_num_queries(2):
        client.get(url)
    scheduling.extend_series(series=rotating, now=utc(2027, 6, 1))
    cache.clear()

    with django_assert_max_num_queries(2):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_single_event_download_and_calendar_links(client, rotating, participant):
    meeting = rotating.meetings.get(sequence_index=1)

    anonymous = client.get(reverse("meetings:event-ics", args=[meeting.pk]))
    client.force_login(participant)
    logged_in = client.get(reverse("meetings:event-ics", args=[meeting.pk]))
    page = client.get(meeting.get_absolute_url()).content.decode()

    event = parse(anonymous.content).vevent
    assert parse(anonymous.content).method.value == "PUBLISH"
    assert event.dtstart.value.astimezone(UTC) == meeting.starts_at
    assert "LOCATION" not in anonymous.content.decode()
    assert "secret-room" in logged_in.content.decode()
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert reverse("meetings:event-ics", args=[meeting.pk]) in page


@pytest.mark.django_db
def test_board_event_download_hidden_from_others(client, board, coordinator):
    client.force_login(coordinator)

    assert client.get(reverse("meetings:event-ics", args=[board.pk])).status_code == 404


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Paris", "Australia/Sydney", "America/Sao_Paulo"]
)
def test_vtimezone_gives_every_reader_the_zone_offsets_over_its_span(zone):
    """vobject builds its zone from our VTIMEZONE alone; it must agree with the zone data."""
    import zoneinfo

    from meetings.ical import vtimezone

    tz = zoneinfo.ZoneInfo(zone)
    moments = [
        datetime.datetime(year, month, 10, 11, tzinfo=tz)
        for year in (2003, 2026, 2041)
        for month in (1, 4, 7, 10)
    ]
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}@test\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID={zone}:{moment:%Y%m%dT%H%M%S}\r\nEND:VEVENT\r\n"
        for n, moment in enumerate(moments)
    )
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + vtimezone(zone)
        + events
        + "END:VCALENDAR\r\n"
    )

    read = [e.dtstart.value.astimezone(UTC) for e in parse(text.encode()).vevent_list]

    assert read == [m.astimezone(UTC) for m in moments]


@pytest.mark.django_db
def test_event_lines_equal_an_icalendar_built_event(rotating):
    """The hand-written event lines mean what icalendar's own Event would say."""
    import zoneinfo

    from icalendar import Calendar as ICalendar
    from icalendar import Event

    from meetings.ical import event, uid_for

    meeting = rotating.meetings.select_related("series", "slot").get(sequence_index=1)
    meeting.agenda = "1. Status; budget, plans\n2. Ünïcode — and a very long line " + "x" * 120
    reference = Event()
    zone = zoneinfo.ZoneInfo(meeting.slot_zone)
    reference.add("uid", uid_for(meeting))
    reference.add("dtstart", meeting.starts_at.astimezone(zone))
    reference.add("summary", meeting.title)

    ours = ICalendar.from_ical(
        "BEGIN:VCALENDAR\r\n" + event(meeting, include_location=True) + "END:VCALENDAR\r\n"
    ).walk("VEVENT")[0]

    assert ours["UID"] == reference["UID"]
    assert ours["SUMMARY"] == reference["SUMMARY"]
    assert ours["DTSTART"].dt == reference["DTSTART"].dt
    assert ours["DTSTART"].params["TZID"] == "Australia/Sydney"
    assert "1. Status; budget, plans\n2. Ünïcode — and a very long line" in ours["DESCRIPTION"]
    assert ours["LOCATION"] == "https://meet.example.org/secret-room"
    assert int(ours["SEQUENCE"]) == meeting.revision


@pytest.mark.parametrize(
    "text",
    ["plain " * 40, "Ünïcödé — " * 30, "a;b,c\n" * 40, "x" * 62 + "\\;" * 30, "日本語の議題" * 20],
)
def test_long_lines_fold_at_75_octets_and_unfold_to_the_value(text):
    from icalendar import Calendar as ICalendar

    from meetings.ical import _line, _text

    folded = _line("DESCRIPTION", _text(text))
    physical = folded.split("\r\n")[:-1]

    assert all(len(line.encode()) <= 75 for line in physical)
    trailing = [len(line) - len(line.rstrip("\\")) for line in physical]
    assert all(run % 2 == 0 for run in trailing)  # no escape split across lines
    parsed = ICalendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + folded + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert str(parsed.walk("VEVENT")[0]["DESCRIPTION"]) == text


@pytest.mark.django_db
def test_feed_is_gzipped_for_clients_that_accept_it(client, rotating):
    import gzip

    plain = client.get(reverse("meetings:ical-feed"))
    packed = client.get(reverse("meetings:ical-feed"), headers={"Accept-Encoding": "gzip, br"})

    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 4
    assert packed["ETag"] == plain["ETag"]
    assert "Accept-Encoding" in packed["Vary"]


@pytest.mark.django_db
def test_feed_read_as_rows_equals_feed_of_model_instances(rotating, board):
    """A feed reads plain rows for speed; they must say exactly what the meetings say."""
    from meetings.ical import build_calendar
    from meetings.models import Meeting

    first, second = rotating.meetings.order_by("starts_at")[:2]
    scheduling.cancel_meeting(meeting=first, reason="Holiday; see list, thanks")
    second.conference_link = "https://meet.example.org/own-room"
    second.topic = "Edge, security; and more\r\nsecond line"
    second.save()
    MeetingFactory(series=rotating, slot=None, topic="No slot: UTC")
    meetings = Meeting.objects.for_calendar().order_by("starts_at", "pk")

    from_rows = build_calendar(meetings, name="All", include_location=lambda m: not m.is_board)
    from_models = build_calendar(
        list(meetings), name="All", include_location=lambda m: not m.is_board
    )

    assert from_rows == from_models
    assert b"STATUS:CANCELLED" in from_rows
    assert b"LOCATION:https://meet.example.org/own-room" in from_rows
    assert b"board-room" not in from_rows
    assert b"Edge\\, security\\; and more\\nsecond line" in from_rows


@pytest.mark.django_db
def test_deleting_a_meeting_moves_last_modified(client, rotating, settings):
    """The remaining meetings' latest change cannot tell a deletion: the feed's
    Last-Modified follows the group's last change too."""
    from django.core.cache import cache

    from lcoo import pagecache
    from meetings.models import Meeting, Series

    settings.PAGE_CACHE_SECONDS = 300  # a shared cache records when data last changed
    hour_ago = datetime.datetime.now(tz=UTC) - datetime.timedelta(hours=1)
    Meeting.objects.update(updated_at=hour_ago)
    Series.objects.update(updated_at=hour_ago)
    cache.set(pagecache.CHANGED_AT_KEY, int(hour_ago.timestamp()), None)
    url = reverse("meetings:ical-feed")
    first = client.get(url)

    rotating.meetings.order_by("starts_at").last().delete()
    after = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})

    assert first["Last-Modified"] == http_date(int(hour_ago.timestamp()))
    assert after.status_code == 200
    assert len(events(after.content)) == len(events(first.content)) - 1


@pytest.mark.django_db
def test_without_a_shared_cache_only_the_etag_decides(client, rotating, settings):
    settings.PAGE_CACHE_SECONDS = 0
    url = reverse("meetings:ical-feed")

    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert "Last-Modified" not in first
    assert again.status_code == 304


@pytest.mark.django_db
def test_private_feed_has_board_meetings_the_person_is_invited_to(
    client, rotating, board, participant, other_coordinator
):
    """A future executive representative is invited by name to the Executive Board
    meeting that welcomes the company: it is in their feed, with the bridge."""
    from meetings.models import Invitation

    Invitation.objects.create(meeting=board, name="Ivy Invitee", email=participant.email.upper())
    mine = CalendarToken.issue(participant)
    others = CalendarToken.issue(other_coordinator)

    invited = client.get(reverse("meetings:private-feed", args=[mine])).content.decode()
    not_invited = client.get(reverse("meetings:private-feed", args=[others])).content.decode()

    assert len(events(invited.encode())) == 27
    assert "Budget" in invited
    assert "board-room" in invited
    assert len(events(not_invited.encode())) == 26
    assert "Budget" not in not_invited
    assert "board-room" not in not_invited


def test_local_feed_bodies_keep_the_newest_within_their_size():
    from meetings.feeds import _Bodies

    bodies = _Bodies(max_bytes=10)
    bodies.put("a", b"1234")
    bodies.put("b", b"5678")
    bodies.get("a")  # a is now the newest used
    bodies.put("c", b"90ab")
    bodies.put("huge", b"x" * 11)

    assert [bodies.get(k) for k in ("a", "b", "c", "huge")] == [b"1234", None, b"90ab", None]


@pytest.mark.django_db
def test_feed_rows_uids_and_stamps_read_as_text_equal_pythons(rotating):
    from meetings.ical import _utc, calendar_rows

    meetings = rotating.meetings.order_by("pk")
    Meeting.objects.filter(pk=meetings[0].pk).update(
        updated_at=datetime.datetime(2027, 3, 28, 1, 2, 3, 999999, tzinfo=UTC)
    )

    rows = list(calendar_rows(meetings.select_related("series", "slot")))

    assert [(row.uid, row.updated_stamp, row.created_stamp) for row in rows] == [
        (str(m.uid), _utc(m.updated_at), _utc(m.created_at)) for m in meetings
    ]
    assert rows[0].updated_stamp == "20270328T010203Z"
