"""Local times typed by people and meeting lengths across daylight-saving changes: a time
the clocks skip is refused naming the change, a time they repeat is asked about, and a
meeting's length is elapsed time everywhere it is stored or shown."""

import datetime
import re
import zoneinfo
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meetings import rotation, scheduling
from meetings.dst import slot_clock_notes
from meetings.forms import ExactLocalDateTimeField, gap_message
from meetings.messages import MessageRenderer
from meetings.models import Meeting
from meetings.views.series import preview_for
from members.permissions import compute_access
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
PARIS = "Europe/Paris"

#: Zones with daylight saving in both hemispheres, half- and quarter-hour offsets, changes
#: at midnight, and zones whose rules changed between 2000 and now.
ZONES = [
    "Europe/Paris", "Europe/London", "Europe/Lisbon", "Europe/Moscow", "Europe/Istanbul",
    "Europe/Kyiv", "Europe/Minsk", "Europe/Dublin", "America/New_York", "America/Chicago",
    "America/Denver", "America/Los_Angeles", "America/Havana", "America/Santiago",
    "America/Sao_Paulo", "America/Asuncion", "America/Mexico_City", "America/St_Johns",
    "America/Halifax", "America/Caracas", "America/Nuuk", "Atlantic/Azores",
    "Africa/Casablanca", "Africa/Cairo", "Asia/Tehran", "Asia/Jerusalem", "Asia/Beirut",
    "Asia/Amman", "Asia/Damascus", "Asia/Kathmandu", "Asia/Kolkata", "Asia/Tokyo",
    "Asia/Pyongyang", "Australia/Sydney", "Australia/Adelaide", "Australia/Lord_Howe",
    "Australia/Eucla", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Apia",
    "Pacific/Norfolk", "Antarctica/Troll",
]  # fmt: skip

local_times = st.tuples(
    st.sampled_from(ZONES),
    st.dates(datetime.date(2000, 1, 1), datetime.date(2045, 12, 31)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.integers(5, 600),
)


def wall_clock(instant: datetime.datetime, zone: str) -> tuple[datetime.date, datetime.time]:
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return local.date(), local.time().replace(tzinfo=None)


# The messages.


def test_gap_message_names_the_change_and_the_times_to_choose():
    change = rotation.clock_change(datetime.date(2027, 3, 28), datetime.time(2, 30), PARIS)

    assert gap_message(change) == (
        "Clocks go forward from 02:00 to 03:00 on 28 March 2027 in Europe/Paris: "
        "choose 01:59 or 03:00 or later."
    )


@pytest.mark.parametrize(
    ("day", "time", "zone", "described"),
    [
        (
            datetime.date(2027, 10, 31),
            datetime.time(2, 30),
            PARIS,
            "Clocks go back from 03:00 to 02:00 on 31 October 2027 in Europe/Paris",
        ),
        (
            datetime.date(2027, 10, 3),
            datetime.time(2, 15),
            "Australia/Lord_Howe",
            "Clocks go forward from 02:00 to 02:30 on 3 October 2027 in Australia/Lord_Howe",
        ),
        (
            datetime.date(2027, 4, 3),
            datetime.time(23, 30),
            "America/Santiago",
            "Clocks go back from 00:00 to 23:00 on 3 April 2027 in America/Santiago",
        ),
    ],
)
def test_clock_change_is_described_with_the_wall_clock_times(day, time, zone, described):
    assert rotation.clock_change(day, time, zone).describe() == described


def test_a_time_that_happens_once_has_no_clock_change():
    assert rotation.clock_change(datetime.date(2027, 3, 28), datetime.time(3, 0), PARIS) is None


def test_field_asks_which_of_two_instants_and_takes_the_chosen_one():
    field = ExactLocalDateTimeField()
    typed = ["2027-10-31", "02:30", PARIS]

    with pytest.raises(ValidationError) as asked:
        field.clean([*typed, ""])
    second = field.clean([*typed, "1"])

    assert asked.value.messages == [
        "Clocks go back from 03:00 to 02:00 on 31 October 2027 in Europe/Paris, so 02:30 "
        "happens twice: choose which one is meant, 02:30 CEST (00:30 UTC) or "
        "02:30 CET (01:30 UTC)."
    ]
    assert field.widget.widgets[3].choices == [
        ("0", "02:30 CEST (00:30 UTC)"),
        ("1", "02:30 CET (01:30 UTC)"),
    ]
    # In UTC: an aware time with fold=1 never compares equal across zones.
    assert second.astimezone(UTC) == datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


# The range display.


@pytest.mark.parametrize(
    ("start", "minutes", "shown"),
    [
        (
            datetime.datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
            90,
            '<time datetime="2027-10-31T00:30:00Z">Sunday 31 October 2027, 02:30 CEST</time>'
            ' – <time datetime="2027-10-31T02:00:00Z">03:00 CET</time>',
        ),
        (
            datetime.datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
            90,
            '<time datetime="2027-03-28T00:30:00Z">Sunday 28 March 2027, 01:30 CET</time>'
            ' – <time datetime="2027-03-28T02:00:00Z">04:00 CEST</time>',
        ),
        (
            datetime.datetime(2027, 6, 1, 12, 0, tzinfo=UTC),
            60,
            '<time datetime="2027-06-01T12:00:00Z">Tuesday 1 June 2027, 14:00</time>'
            ' – <time datetime="2027-06-01T13:00:00Z">15:00 CEST</time>',
        ),
    ],
)
def test_range_shows_each_end_with_its_own_abbreviation_when_they_differ(start, minutes, shown):
    template = Template("{% show_range start end 'l j F Y, H:i' zone %}")
    context = Context(
        {"start": start, "end": start + datetime.timedelta(minutes=minutes), "zone": PARIS}
    )

    assert template.render(context) == shown


# The preview and the series page.


SUNDAY_0230 = rotation.Slot(6, datetime.time(2, 30), PARIS)
NOW = datetime.datetime(2027, 1, 1, tzinfo=UTC)
EXPECTED_NOTES = [
    (
        datetime.date(2027, 3, 28),
        "Clocks go forward from 02:00 to 03:00 on 28 March 2027 in Europe/Paris: 02:30 "
        "does not exist that day, so the meeting is held at 03:30 CEST (01:30 UTC), later "
        "by the time skipped.",
    ),
    (
        datetime.date(2027, 10, 31),
        "Clocks go back from 03:00 to 02:00 on 31 October 2027 in Europe/Paris: 02:30 "
        "happens twice that day, so the meeting is held at the first, 02:30 CEST "
        "(00:30 UTC).",
    ),
]


def test_slot_clock_notes_list_the_dates_and_what_the_rotation_does():
    occurrences = rotation.expand(
        rotation.EveryNWeeks(datetime.date(2027, 1, 4)),
        [SUNDAY_0230],
        NOW,
        datetime.datetime(2028, 1, 1, tzinfo=UTC),
    )

    notes = slot_clock_notes(occurrences, [SUNDAY_0230])

    assert [(n.day, n.text) for n in notes] == EXPECTED_NOTES
    assert notes[0].held_at == SUNDAY_0230.at(datetime.date(2027, 3, 28))


@pytest.mark.django_db
def test_preview_labels_the_configured_slot_and_warns_of_the_skipped_date(coordinator, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2027, 3, 20, tzinfo=UTC))

    preview = preview_for(
        rotation.EveryNWeeks(datetime.date(2027, 1, 4)),
        [SUNDAY_0230],
        datetime.timedelta(minutes=90),
        horizon_months=12,
        access=compute_access(coordinator),
    )
    body = Template(
        "{% for row in preview.occurrences %}{% show_slot_at row.slot row.starts_at %}|{% endfor %}"
    ).render(Context({"preview": preview}))

    assert [(n.day, n.text) for n in preview["clock_notes"]] == EXPECTED_NOTES
    # The second Sunday is the spring-forward one: held at 03:30, still "slot Sun 02:30".
    assert body.split("|")[1] == '<time datetime="2027-03-28T01:30:00Z">Sun 02:30</time>'


@pytest.mark.django_db
def test_series_page_lists_the_dates_the_clocks_skip_or_repeat(client, monkeypatch):
    series = SeriesFactory(
        slug="night",
        cadence="weekly",
        interval=1,
        anchor=datetime.date(2027, 1, 4),
        horizon_months=12,
    )
    SlotFactory(series=series, weekday=6, local_time=datetime.time(2, 30), zone=PARIS)
    monkeypatch.setattr(timezone, "now", lambda: NOW)

    body = client.get(series.get_absolute_url()).content.decode()

    assert "Slot times the clocks skip or repeat" in body
    for _, text in EXPECTED_NOTES:
        assert text in body


# Editing a meeting through its form.


@pytest.fixture
def paris_meeting(db):
    series = SeriesFactory(slug="forum", duration_minutes=90)
    slot = SlotFactory(series=series, weekday=6, local_time=datetime.time(10), zone=PARIS)
    start = datetime.datetime(2027, 3, 21, 9, tzinfo=UTC)
    return MeetingFactory(
        series=series, slot=slot, starts_at=start, ends_at=start + datetime.timedelta(minutes=90)
    )


def edit(client, meeting, day: str, time: str, zone: str = PARIS, minutes: int = 90, **more):
    data = {
        "starts_at_0": day,
        "starts_at_1": time,
        "starts_at_2": zone,
        "duration_minutes": str(minutes),
        "topic": "Forum",
        "conference_link": "",
        **more,
    }
    return client.post(reverse("meetings:edit", args=[meeting.pk]), data)


@pytest.mark.django_db
def test_editing_into_the_gap_is_refused_and_saves_nothing(client, coordinator, paris_meeting):
    client.force_login(coordinator)
    before = (paris_meeting.starts_at, paris_meeting.ends_at, paris_meeting.revision)

    response = edit(client, paris_meeting, "2027-03-28", "02:30")

    paris_meeting.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        "Clocks go forward from 02:00 to 03:00 on 28 March 2027 in Europe/Paris: "
        "choose 01:59 or 03:00 or later."
    ) in body
    assert 'value="2027-03-28"' in body
    assert 'value="02:30"' in body
    assert (paris_meeting.starts_at, paris_meeting.ends_at, paris_meeting.revision) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("which", "start"),
    [
        ("0", datetime.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
        ("1", datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)),
    ],
)
def test_editing_into_the_repeated_hour_asks_and_saves_the_chosen_instant(
    client, coordinator, paris_meeting, which, start
):
    client.force_login(coordinator)

    asked = edit(client, paris_meeting, "2027-10-31", "02:30")
    paris_meeting.refresh_from_db()
    unchanged = paris_meeting.starts_at
    chosen = edit(client, paris_meeting, "2027-10-31", "02:30", starts_at_3=which)

    paris_meeting.refresh_from_db()
    body = asked.content.decode()
    assert asked.status_code == 400
    assert unchanged == datetime.datetime(2027, 3, 21, 9, tzinfo=UTC)
    assert "02:30 CEST (00:30 UTC)" in body
    assert "02:30 CET (01:30 UTC)" in body
    assert chosen.status_code == 302
    assert (paris_meeting.starts_at, paris_meeting.ends_at) == (
        start,
        start + datetime.timedelta(minutes=90),
    )


@pytest.mark.django_db
def test_ninety_minutes_across_the_spring_change_stay_ninety_in_page_feed_and_mail(
    client, coordinator, paris_meeting
):
    client.force_login(coordinator)

    saved = edit(client, paris_meeting, "2027-03-28", "01:30")

    paris_meeting.refresh_from_db()
    page = client.get(paris_meeting.get_absolute_url()).content.decode()
    ics = client.get(reverse("meetings:event-ics", args=[paris_meeting.pk])).content.decode()
    _, text, html, _ = MessageRenderer()._render(paris_meeting, "update", PARIS, True)
    stamps = dict(re.findall(r"^(DTSTART|DTEND);TZID=Europe/Paris:(\S+)", ics, flags=re.M))
    start, end = (
        datetime.datetime.strptime(stamps[key], "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(PARIS))
        for key in ("DTSTART", "DTEND")
    )
    assert saved.status_code == 302
    assert (paris_meeting.starts_at, paris_meeting.ends_at) == (
        datetime.datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
        datetime.datetime(2027, 3, 28, 2, 0, tzinfo=UTC),
    )
    assert "Sunday 28 March 2027, 01:30 CET</time> – <time" in page
    assert '<time datetime="2027-03-28T02:00:00Z">04:00 CEST</time>' in page
    assert stamps == {"DTSTART": "20270328T013000", "DTEND": "20270328T040000"}
    assert end.astimezone(UTC) - start.astimezone(UTC) == datetime.timedelta(minutes=90)
    assert "When: Sunday 28 March 2027, 01:30 CET–04:00 CEST (Europe/Paris)" in text
    assert "01:30 CET</time> – <time" in html


# Properties over many zones, dates and lengths.


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=local_times, fold=st.integers(0, 1))
def test_update_meeting_keeps_the_length_and_the_wall_clock_time(paris_meeting, typed, fold):
    zone, day, time, minutes = typed
    instants = rotation.local_instants(day, time, zone)
    assume(instants)
    start = instants[min(fold, len(instants) - 1)].astimezone(zoneinfo.ZoneInfo(zone))

    meeting = scheduling.update_meeting(
        meeting=paris_meeting,
        starts_at=start,
        duration_minutes=minutes,
        topic="",
        conference_link="",
    )

    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.ends_at - stored.starts_at == datetime.timedelta(minutes=minutes)
    assert wall_clock(stored.starts_at, zone) == (day, time)


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=local_times, fold=st.sampled_from(["0", "1"]))
def test_edit_form_round_trips_or_refuses_or_asks_never_shifts(
    client, coordinator, paris_meeting, typed, fold
):
    zone, day, time, minutes = typed
    client.force_login(coordinator)
    kind = rotation.wall_clock_kind(day, time, zone)
    before = Meeting.objects.get(pk=paris_meeting.pk)

    first = edit(client, paris_meeting, day.isoformat(), f"{time:%H:%M}", zone, minutes)
    after_first = Meeting.objects.get(pk=paris_meeting.pk)

    if kind == "gap":
        assert first.status_code == 400
        assert "Clocks go forward from " in first.content.decode()
        assert (after_first.starts_at, after_first.ends_at) == (before.starts_at, before.ends_at)
        return
    if kind == "ambiguous":
        assert first.status_code == 400
        assert (after_first.starts_at, after_first.ends_at) == (before.starts_at, before.ends_at)
        response = edit(
            client, paris_meeting, day.isoformat(), f"{time:%H:%M}", zone, minutes,
            starts_at_3=fold,
        )  # fmt: skip
    else:
        response = first
    stored = Meeting.objects.get(pk=paris_meeting.pk)
    assert response.status_code == 302
    assert stored.ends_at - stored.starts_at == datetime.timedelta(minutes=minutes)
    assert wall_clock(stored.starts_at, zone) == (day, time)
    if kind == "ambiguous":
        assert stored.starts_at == rotation.local_instants(day, time, zone)[int(fold)]


def test_explicit_dates_whose_slot_time_the_clocks_skip_are_listed():
    cadence = rotation.ExplicitDates([datetime.date(2027, 3, 28), datetime.date(2027, 4, 4)])
    occurrences = rotation.expand(
        cadence, [SUNDAY_0230], NOW, datetime.datetime(2028, 1, 1, tzinfo=UTC)
    )

    notes = slot_clock_notes(occurrences, [SUNDAY_0230])

    assert [(n.day, n.text) for n in notes] == EXPECTED_NOTES[:1]


@pytest.mark.django_db
def test_edit_form_of_a_meeting_in_the_repeated_hour_offers_both_with_its_own_chosen(
    client, coordinator, paris_meeting
):
    start = datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    Meeting.objects.filter(pk=paris_meeting.pk).update(
        starts_at=start, ends_at=start + datetime.timedelta(minutes=90)
    )
    client.force_login(coordinator)

    body = client.get(reverse("meetings:edit", args=[paris_meeting.pk])).content.decode()

    checked = re.findall(r'<input type="radio" name="starts_at_3" value="(\d)"[^>]*checked', body)
    assert checked == ["1"]
    assert "02:30 CEST (00:30 UTC)" in body
