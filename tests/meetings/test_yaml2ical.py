"""yaml2ical interoperability: the import gives exactly the meetings of yaml2ical's own .ics.

yaml2ical (the tool OpenStack's irc-meetings repository publishes its calendars with) is
run here through its Python API on the same files, and its .ics is expanded with
recurring-ical-events; the portal's non-cancelled meetings must be the same set of
(UTC start, length) over the next 52 weeks.

yaml2ical takes "today" from datetime.datetime.utcnow() when a schedule has no start_date,
and its API has no way to pass a day. So the copy of a file that yaml2ical reads gets the
pinned day as the start_date of such schedules, which is what yaml2ical does on that day;
one test also runs both on the real today, without pinning.
"""

import datetime
import io
import os
import shutil
import warnings
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from meetings import scheduling
from meetings.models import Meeting, Series, Slot
from meetings.yaml2ical import exporting, importing, parse
from tests.factories import SeriesFactory, SlotFactory

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pbr, on import
    from yaml2ical import ical as yaml2ical_ical
    from yaml2ical import meeting as yaml2ical_meeting
    from yaml2ical import recurrence as yaml2ical_recurrence

# yaml2ical 0.15 calls datetime.datetime.utcnow() for every meeting it loads.
pytestmark = pytest.mark.filterwarnings(
    "ignore:datetime.datetime.utcnow:DeprecationWarning",
)

UTC = datetime.UTC
REAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "irc-meetings-2019"
CASES_DIR = Path(__file__).resolve().parent / "yaml2ical_cases"
REAL_FILES = sorted(REAL_DIR.glob("*.yaml")) if REAL_DIR.is_dir() else []
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
# The window runs across ISO week 53 of 2026, whose next week (1 of 2027) is odd too.
NOW = datetime.datetime(2026, 9, 1, tzinfo=UTC)
WINDOW = datetime.timedelta(weeks=52)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def require_real_data():
    if REAL_FILES:
        return
    reason = f"The real irc-meetings files are missing: no .yaml in {REAL_DIR}."
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def yaml2ical_ics(text, *, today=None):
    """yaml2ical's own .ics for a file's text, generated on `today` (None: the real today)."""
    if today is not None:
        data = yaml.safe_load(text)
        for entry in data["schedule"]:
            entry.setdefault("start_date", int(f"{today:%Y%m%d}"))
        text = yaml.safe_dump(data)
    calendar = yaml2ical_ical.Yaml2IcalCalendar()
    calendar.add_meeting(yaml2ical_meeting.Meeting.fromstring(text))
    return icalendar.Calendar.from_ical(calendar.to_ical())


def ics_occurrences(calendar, start, end):
    """(UTC start, length) of its meetings, and of its "CANCELLED:" skip-date events.

    Each VEVENT is expanded on its own: yaml2ical gives schedules that start on the same
    day the same UID, and a reader of the whole .ics keeps only one of them (see below).
    """
    held, cancelled = set(), set()
    for vevent in calendar.walk("VEVENT"):
        alone = icalendar.Calendar()
        alone.add_component(vevent)
        for event in recurring_ical_events.of(alone).between(start, end):
            if event.start < start:  # began before the window and still runs
                continue
            found = cancelled if str(event["SUMMARY"]).startswith("CANCELLED: ") else held
            found.add((event.start.astimezone(UTC), event.end - event.start))
    return held, cancelled


def portal_occurrences(slugs, start, end):
    held, cancelled = set(), set()
    meetings = Meeting.objects.filter(
        series__slug__in=slugs, starts_at__gte=start, starts_at__lt=end
    )
    for meeting in meetings:
        found = cancelled if meeting.is_cancelled else held
        found.add((meeting.starts_at, meeting.ends_at - meeting.starts_at))
    return held, cancelled


def feed_occurrences(client, slugs, start, end):
    """(UTC start, length) of the meetings and of the cancelled ones in the portal's own
    feeds of the series, fetched like a calendar app does and read with recurring-ical-events."""
    held, cancelled = set(), set()
    for slug in slugs:
        response = client.get(reverse("meetings:series-feed", args=[slug]))
        assert response.status_code == 200
        calendar = icalendar.Calendar.from_ical(response.content)
        for event in recurring_ical_events.of(calendar).between(start, end):
            if event.start < start:
                continue
            found = cancelled if str(event.get("STATUS", "")) == "CANCELLED" else held
            found.add((event.start.astimezone(UTC), event.end - event.start))
    return held, cancelled


def compare_with_yaml2ical(path, now, client=None):
    """Import the file on `now`; its meetings, and with `client` its series' feeds too,
    must hold exactly the occurrences of yaml2ical's .ics over the next 52 weeks."""
    expected = ics_occurrences(yaml2ical_ics(path.read_text(), today=now.date()), now, now + WINDOW)

    report = importing.import_files(paths=[path], now=now)

    assert report.errors == {}
    slugs = report.series[path.name]
    assert portal_occurrences(slugs, now, now + WINDOW) == expected
    if client is not None:
        assert feed_occurrences(client, slugs, now, now + WINDOW) == expected
    return expected


def shape(series):
    """The series' rule in a line: cadence, first meeting, length and slots in turn."""
    slots = ", ".join(str(slot) for slot in series.slots.all())
    length = f"{series.duration_minutes} min: {slots}"
    if series.cadence == "weekly":
        return f"every {series.interval} weeks from {series.anchor}, {length}"
    if series.cadence == "monthly":
        return f"monthly #{series.monthly_ordinal} from {series.anchor}, {length}"
    return f"{series.cadence}, {length}"


def snapshot():
    """Every series' rule, and every meeting in the window with its status."""
    rules = sorted(
        (s.name, s.cadence, s.interval, s.monthly_ordinal, s.slots.count())
        for s in Series.objects.all()
    )
    meetings = {
        (m.series.name, m.starts_at, m.ends_at - m.starts_at, m.status)
        for m in Meeting.objects.select_related("series").filter(
            starts_at__gte=NOW, starts_at__lt=NOW + WINDOW
        )
    }
    return rules, meetings


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


# Same occurrences as yaml2ical ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", REAL_FILES or [None], ids=lambda p: p.name if p else "missing")
def test_import_real_file_matches_yaml2ical_ics(client, path):
    require_real_data()

    held, _ = compare_with_yaml2ical(path, NOW, client)

    adhoc_only = path.name == "chef-openstack-team-meeting.yaml"
    assert (len(held) == 0) == adhoc_only


@pytest.mark.django_db
@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_import_case_file_matches_yaml2ical_ics(client, path):
    held, _ = compare_with_yaml2ical(path, NOW, client)

    assert (len(held) == 0) == (path.name == "adhoc.yaml")


@pytest.mark.django_db
def test_import_skip_dates_cancel_the_meetings_yaml2ical_marks_cancelled():
    path = CASES_DIR / "skip-dates.yaml"

    _, cancelled_in_ics = compare_with_yaml2ical(path, NOW)

    cancelled = Meeting.objects.filter(status=Meeting.Status.CANCELLED).order_by("starts_at")
    assert [(m.starts_at, m.cancel_reason) for m in cancelled] == [
        (utc(2026, 12, 24, 14), "Skipped in skip-dates.yaml: Christmas Eve"),
        (utc(2026, 12, 28, 15), "Skipped in skip-dates.yaml: Christmas"),
        (utc(2027, 1, 4, 15), "Skipped in skip-dates.yaml: New Year's"),
        (utc(2027, 4, 26, 15), "Skipped in skip-dates.yaml: Summit"),
    ]
    assert {(m.starts_at, m.duration) for m in cancelled} == cancelled_in_ics


@pytest.mark.django_db
def test_import_without_start_date_matches_yaml2ical_run_today():
    path = CASES_DIR / "no-start-date.yaml"
    now = timezone.now()
    expected = ics_occurrences(yaml2ical_ics(path.read_text()), now, now + WINDOW)

    report = importing.import_files(paths=[path], now=now)

    assert portal_occurrences(report.series[path.name], now, now + WINDOW) == expected


# How schedules become series ----------------------------------------------------------


@pytest.mark.django_db
def test_import_cases_groups_alternating_schedules_into_rotations():
    report = importing.import_directory(directory=CASES_DIR, now=NOW)

    series = {s.slug: shape(s) for s in Series.objects.prefetch_related("slots")}
    assert report.errors == {}
    assert series == {
        "yaml2ical-case-adhoc--1-2": "explicit, 60 min: Tue 09:00 UTC, Tue 15:00 UTC",
        "yaml2ical-case-alternating-later--1": (
            "every 2 weeks from 2026-08-06, 60 min: Thu 14:00 UTC"
        ),
        "yaml2ical-case-alternating-later--2": (
            "every 2 weeks from 2026-11-05, 60 min: Thu 21:00 UTC"
        ),
        "yaml2ical-case-alternating--1-2": (
            "every 1 weeks from 2026-08-06, 60 min: Thu 14:00 UTC, Thu 21:00 UTC"
        ),
        "yaml2ical-case-biweekly-even--1": "every 2 weeks from 2026-01-07, 90 min: Wed 16:00 UTC",
        "yaml2ical-case-biweekly-odd--1": "every 2 weeks from 2026-01-13, 60 min: Tue 09:00 UTC",
        "yaml2ical-case-future-start--1": "every 1 weeks from 2027-03-04, 60 min: Thu 18:00 UTC",
        "yaml2ical-case-monthly--1": "monthly #1 from 2026-09-07, 60 min: Mon 15:00 UTC",
        "yaml2ical-case-monthly--2": "monthly #2 from 2026-09-08, 60 min: Tue 09:00 UTC",
        "yaml2ical-case-monthly--3": "monthly #3 from 2026-09-16, 60 min: Wed 17:00 UTC",
        "yaml2ical-case-monthly--4": "monthly #4 from 2026-09-24, 60 min: Thu 22:00 UTC",
        # yaml2ical starts in the month after the start date: not 2026-09-04.
        "yaml2ical-case-monthly--5": "monthly #1 from 2026-10-02, 60 min: Fri 13:00 UTC",
        "yaml2ical-case-no-start-date--1": "every 2 weeks from 2026-09-11, 60 min: Fri 14:00 UTC",
        "yaml2ical-case-parallel--1": "every 2 weeks from 2026-08-06, 60 min: Thu 13:00 UTC",
        "yaml2ical-case-parallel--2": "every 2 weeks from 2026-08-06, 60 min: Thu 14:00 UTC",
        "yaml2ical-case-quadweekly-alternate--1-2": (
            "every 2 weeks from 2026-06-10, 60 min: Wed 11:00 UTC, Wed 17:00 UTC"
        ),
        # Week 3 of the cycle comes first from 2026-06-01 (ISO week 23).
        "yaml2ical-case-quadweekly-rotation--1-2-3-4": (
            "every 1 weeks from 2026-06-01, 60 min: "
            "Mon 20:00 UTC, Mon 08:00 UTC, Mon 12:00 UTC, Mon 16:00 UTC"
        ),
        "yaml2ical-case-quadweekly-separate--1": (
            "every 4 weeks from 2026-06-12, 60 min: Fri 10:00 UTC"
        ),
        "yaml2ical-case-quadweekly-separate--2": (
            "every 4 weeks from 2026-06-19, 60 min: Fri 15:00 UTC"
        ),
        "yaml2ical-case-quadweekly-separate--3": (
            "every 4 weeks from 2026-06-02, 45 min: Tue 19:00 UTC"
        ),
        "yaml2ical-case-skip-dates--1": "every 1 weeks from 2026-01-05, 60 min: Mon 15:00 UTC",
        "yaml2ical-case-skip-dates--2": "every 2 weeks from 2026-08-06, 60 min: Thu 14:00 UTC",
        # From ISO week 53 of 2026 the even schedule starts one week after the odd one.
        "yaml2ical-case-week-53--1-2": (
            "every 1 weeks from 2026-12-28, 60 min: Mon 17:00 UTC, Mon 09:00 UTC"
        ),
        "yaml2ical-case-week-53--3": "every 2 weeks from 2027-01-08, 30 min: Fri 15:00 UTC",
        "yaml2ical-case-weekly--1": "every 1 weeks from 2025-01-06, 60 min: Mon 15:00 UTC",
        "yaml2ical-case-weekly--2": "every 1 weeks from 2026-09-06, 90 min: Sun 23:30 UTC",
    }


@pytest.mark.django_db
def test_import_real_files_rotate_nova_and_keep_lcoo_parallel():
    require_real_data()

    importing.import_directory(directory=REAL_DIR, now=NOW)

    nova = Series.objects.get(slug="yaml2ical-nova--1-2")
    lcoo = Series.objects.filter(slug__startswith="yaml2ical-lcoo--").order_by("slug")
    assert shape(nova) == "every 1 weeks from 2016-01-07, 60 min: Thu 21:00 UTC, Thu 14:00 UTC"
    assert [shape(s) for s in lcoo] == [
        "every 2 weeks from 2017-11-30, 60 min: Thu 13:00 UTC",
        "every 2 weeks from 2017-11-30, 60 min: Thu 14:00 UTC",
    ]
    assert (nova.name, nova.kind, nova.audience) == ("Nova Team Meeting", "subteam", "public")
    assert nova.description == (
        "This is the weekly Nova team meeting.\n"
        "\n"
        "Chair: Eric Fried (efried)\n"
        "Agenda: https://wiki.openstack.org/wiki/Meetings/Nova\n"
        "IRC: #openstack-meeting"
    )


@pytest.mark.django_db
def test_import_two_slots_same_day_get_distinct_uids_where_yaml2ical_repeats_one():
    require_real_data()
    path = REAL_DIR / "lcoo-team-meeting.yaml"
    calendar = yaml2ical_ics(path.read_text(), today=NOW.date())

    importing.import_files(paths=[path], now=NOW)

    same_day = Meeting.objects.filter(starts_at__date=datetime.date(2026, 9, 10))
    read_whole = recurring_ical_events.of(calendar).between(NOW, utc(2026, 9, 11))
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == [
        "largecontributingopenstackoperators(lcoo)-20171130",
        "largecontributingopenstackoperators(lcoo)-20171130",
    ]
    # So a calendar reader keeps one of the two: the 14:00 meeting is lost.
    assert [event.start for event in read_whole] == [utc(2026, 9, 10, 13)]
    assert [m.starts_at for m in same_day] == [utc(2026, 9, 10, 13), utc(2026, 9, 10, 14)]
    assert len({m.uid for m in same_day}) == 2


# 53-week ISO years --------------------------------------------------------------------

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
RECURRENCES = yaml2ical_recurrence.supported_recurrences
WEEKLY_FREQUENCIES = sorted(
    name
    for name, rule in RECURRENCES.items()
    if isinstance(
        rule,
        (
            yaml2ical_recurrence.WeeklyRecurrence,
            yaml2ical_recurrence.BiWeeklyRecurrence,
            yaml2ical_recurrence.QuadWeeklyRecurrence,
        ),
    )
)
MONTHLY_FREQUENCIES = sorted(
    name
    for name, rule in RECURRENCES.items()
    if isinstance(rule, yaml2ical_recurrence.MonthlyRecurrence)
)


def test_import_knows_every_frequency_of_yaml2ical():
    assert set(parse.FREQUENCIES) == set(RECURRENCES)
    assert len(WEEKLY_FREQUENCIES) == 8
    assert len(MONTHLY_FREQUENCIES) == 20


def meeting_file(folder, schedules):
    text = yaml.safe_dump(
        {
            "project": "Interop Check",
            "meeting_id": "interop",
            "chair": "Ivy Interop",
            "description": "",
            "schedule": schedules,
        }
    )
    return write(folder, "interop.yaml", text)


@pytest.mark.django_db
@pytest.mark.parametrize("start_date", [20261228, 20261231, 20201228, 20210101])
@pytest.mark.parametrize("frequency", WEEKLY_FREQUENCIES)
def test_import_starting_in_iso_week_53_feeds_the_occurrences_of_yaml2ical_ics(
    client, tmp_path, frequency, start_date
):
    # One schedule on every day of the week, each on its own channel (a series each); the
    # Sunday one runs past midnight.
    path = meeting_file(
        tmp_path,
        [
            {
                "time": "2330" if day == "Sunday" else "1400",
                "day": day,
                "irc": f"interop-{day.lower()}",
                "frequency": frequency,
                "start_date": start_date,
                "duration": 90,
            }
            for day in WEEKDAY_NAMES
        ],
    )
    day = datetime.datetime.strptime(str(start_date), "%Y%m%d").replace(tzinfo=UTC)
    now = day - datetime.timedelta(days=3)
    expected = ics_occurrences(yaml2ical_ics(path.read_text()), now, now + WINDOW)

    report = importing.import_files(paths=[path], now=now)

    slugs = report.series["interop.yaml"]
    assert report.errors == {}
    assert len(slugs) == 7
    assert feed_occurrences(client, slugs, now, now + WINDOW) == expected
    assert portal_occurrences(slugs, now, now + WINDOW) == expected
    assert {start.weekday() for start, _ in expected[0]} == set(range(7))


@pytest.mark.django_db
def test_import_biweekly_even_from_week_53_starts_one_week_later_like_yaml2ical(tmp_path):
    # 28 December 2026 is in ISO week 53 (odd); yaml2ical moves on one week, to 4 January
    # 2027, in ISO week 1 (odd too), and never a second week.
    path = meeting_file(
        tmp_path,
        [
            {
                "time": "1600",
                "day": "Monday",
                "irc": "interop",
                "frequency": "biweekly-even",
                "start_date": 20261228,
            }
        ],
    )
    calendar = yaml2ical_ics(path.read_text())

    importing.import_files(paths=[path], now=utc(2026, 12, 1))

    [vevent] = calendar.walk("VEVENT")
    series = Series.objects.get()
    assert vevent.decoded("DTSTART") == utc(2027, 1, 4, 16)
    assert series.anchor == datetime.date(2027, 1, 4)
    assert series.meetings.first().starts_at == utc(2027, 1, 4, 16)


@pytest.mark.django_db
def test_import_without_start_date_run_in_week_53_keeps_its_anchor_next_time(tmp_path):
    path = meeting_file(
        tmp_path,
        [{"time": "1400", "day": "Friday", "irc": "interop", "frequency": "biweekly-even"}],
    )
    first_run, later = utc(2026, 12, 29), utc(2027, 1, 12)
    expected, _ = ics_occurrences(
        yaml2ical_ics(path.read_text(), today=first_run.date()), first_run, first_run + WINDOW
    )
    importing.import_files(paths=[path], now=first_run)

    importing.import_files(paths=[path], now=later)

    series = Series.objects.get()
    coming = series.meetings.filter(starts_at__gte=later, status="scheduled")
    # yaml2ical run on the first day starts on 8 January 2027, in ISO week 1 (odd): the
    # portal keeps that anchor, although it is not in an even ISO week.
    assert min(expected)[0] == utc(2027, 1, 8, 14)
    assert series.anchor == datetime.date(2027, 1, 8)
    assert list(coming.values_list("starts_at", flat=True)[:2]) == [
        utc(2027, 1, 22, 14),
        utc(2027, 2, 5, 14),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("frequency", MONTHLY_FREQUENCIES)
def test_import_every_monthly_frequency_feeds_the_occurrences_of_yaml2ical_ics(
    client, tmp_path, frequency
):
    day = frequency.split("-")[1].capitalize()
    # 1 September 2026 is a Tuesday: yaml2ical still starts in October. The second
    # schedule starts in a new year and runs past midnight.
    path = meeting_file(
        tmp_path,
        [
            {
                "time": "1300",
                "day": day,
                "irc": "interop-a",
                "frequency": frequency,
                "start_date": 20260901,
            },
            {
                "time": "2300",
                "day": day,
                "irc": "interop-b",
                "frequency": frequency,
                "start_date": 20261231,
                "duration": 120,
            },
        ],
    )
    expected = ics_occurrences(yaml2ical_ics(path.read_text()), NOW, NOW + WINDOW)

    report = importing.import_files(paths=[path], now=NOW)

    slugs = report.series["interop.yaml"]
    assert report.errors == {}
    assert len(slugs) == 2
    assert feed_occurrences(client, slugs, NOW, NOW + WINDOW) == expected
    assert len(expected[0]) == 12 + 7  # October to August, and February to August


@pytest.mark.django_db
def test_import_across_53_week_year_keeps_ics_dates_and_warns(tmp_path):
    path = write(
        tmp_path,
        "fortnightly.yaml",
        "project: Fortnightly\nmeeting_id: fortnightly\nchair: Fay\ndescription: ''\n"
        "schedule:\n- {time: '1600', day: Monday, irc: openstack-meeting, "
        "frequency: biweekly-even, start_date: 20261201}\n",
    )
    now = utc(2026, 12, 1)
    expected, _ = ics_occurrences(
        yaml2ical_ics(path.read_text(), today=now.date()), now, now + WINDOW
    )

    report = importing.import_files(paths=[path], now=now)

    starts = list(Meeting.objects.values_list("starts_at", flat=True)[:3])
    assert starts == [utc(2026, 12, 7, 16), utc(2026, 12, 21, 16), utc(2027, 1, 4, 16)]
    assert utc(2027, 1, 4, 16) in {start for start, _ in expected}
    assert report.warnings == [
        "yaml2ical-fortnightly--1 (Fortnightly): biweekly-even Monday 1600 falls on "
        "2027-01-04, in ISO week 1 of 2027, not an even ISO week: yaml2ical's .ics repeats "
        "it every 2 weeks from 2026-12-07 across 53-week ISO years. The portal keeps the "
        ".ics dates."
    ]


@pytest.mark.django_db
def test_import_within_52_week_years_has_no_parity_warning(tmp_path):
    path = write(
        tmp_path,
        "fortnightly.yaml",
        "project: Fortnightly\nchair: Fay\ndescription: ''\n"
        "schedule:\n- {time: '1600', day: Monday, irc: openstack-meeting, "
        "frequency: biweekly-odd, start_date: 20270104}\n",
    )

    report = importing.import_files(paths=[path], now=utc(2027, 1, 4))

    assert report.warnings == []


@pytest.mark.django_db
def test_import_real_files_warn_for_every_biweekly_and_quadweekly_series():
    require_real_data()

    report = importing.import_directory(directory=REAL_DIR, now=NOW)

    warned = sorted({warning.split(" ", 1)[0] for warning in report.warnings})
    assert warned == [
        "yaml2ical-charms--1-2",
        "yaml2ical-designate--1-2",
        "yaml2ical-docteam--1-2",
        "yaml2ical-lcoo--1",
        "yaml2ical-lcoo--2",
        "yaml2ical-networking--1-2",
        "yaml2ical-networking-vpp--1",
        "yaml2ical-nova--1-2",
        "yaml2ical-openstack_i18n_meeting--1-2",
        "yaml2ical-publiccloud_wg--1-2",
        "yaml2ical-scientific_sig--1-2",
        "yaml2ical-self-healing--1",
        "yaml2ical-self-healing--2",
        "yaml2ical-senlin--1-2",
        "yaml2ical-swift--2",
        "yaml2ical-upgrades-sig--1",
        "yaml2ical-upgrades-sig--2",
    ]


@pytest.mark.django_db
def test_import_without_start_date_keeps_first_anchor_after_53_week_year():
    path = CASES_DIR / "no-start-date.yaml"
    importing.import_files(paths=[path], now=NOW)
    later = utc(2027, 1, 5)
    yaml2ical_later, _ = ics_occurrences(
        yaml2ical_ics(path.read_text(), today=later.date()), later, later + WINDOW
    )

    report = importing.import_files(paths=[path], now=later)

    series = Series.objects.get()
    coming = list(
        series.meetings.filter(starts_at__gte=later).values_list("starts_at", flat=True)[:2]
    )
    assert series.anchor == datetime.date(2026, 9, 11)
    assert coming == [utc(2027, 1, 15, 14), utc(2027, 1, 29, 14)]
    # yaml2ical run that day starts afresh on an odd ISO week: the portal does not follow.
    assert min(yaml2ical_later)[0] == utc(2027, 1, 8, 14)
    assert report.warnings == [
        "yaml2ical-case-no-start-date--1 (No Start Date Case): biweekly-odd Friday 1400 falls "
        "on 2027-01-15, in ISO week 2 of 2027, not an odd ISO week: yaml2ical's .ics repeats "
        "it every 2 weeks from 2026-09-11 across 53-week ISO years. The portal keeps the "
        ".ics dates."
    ]


# Idempotency and bad files ------------------------------------------------------------


def row_counts():
    return Series.objects.count(), Slot.objects.count(), Meeting.objects.count()


@pytest.mark.django_db
def test_import_twice_creates_no_new_rows():
    paths = CASE_FILES + REAL_FILES
    importing.import_files(paths=paths, now=NOW)
    before, first = row_counts(), snapshot()

    report = importing.import_files(paths=paths, now=NOW)

    assert report.errors == {}
    assert row_counts() == before
    assert snapshot() == first


@pytest.mark.django_db
def test_import_bad_files_are_reported_and_the_others_imported(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "good.yaml")
    write(tmp_path, "broken.yaml", "project: [unclosed\n")
    write(tmp_path, "keyless.yaml", "project: Keyless\nchair: K\nschedule: []\n")
    good = (CASES_DIR / "weekly.yaml").read_text()
    write(tmp_path, "unknown.yaml", good.replace("frequency: weekly", "frequency: fortnightly", 1))
    write(tmp_path, "badtime.yaml", good.replace("'1500'", "'25:00'", 1))
    write(tmp_path, "unquoted.yaml", good.replace("'1500'", "1500", 1))
    # Nine series are saved before the tenth's slug proves too long: all are undone.
    long_id = "m" * 187
    write(
        tmp_path,
        "long.yaml",
        f"project: Long\nmeeting_id: {long_id}\nchair: L\ndescription: ''\nschedule:\n"
        + "".join(
            f"- {{time: '{hour:02}00', day: Monday, irc: x, frequency: weekly}}\n"
            for hour in range(10)
        ),
    )

    report = importing.import_directory(directory=tmp_path, now=NOW)

    assert set(report.errors) == {
        "broken.yaml",
        "keyless.yaml",
        "unknown.yaml",
        "badtime.yaml",
        "unquoted.yaml",
        "long.yaml",
    }
    assert report.errors["broken.yaml"].startswith("not valid YAML: ")
    assert {name: reason for name, reason in report.errors.items() if name != "broken.yaml"} == {
        "keyless.yaml": "missing description",
        "unknown.yaml": "schedule 1: unknown frequency 'fortnightly'",
        "badtime.yaml": "schedule 1: time '25:00' is not HHMM (UTC)",
        "unquoted.yaml": "schedule 1: time 1500 must be a quoted 'HHMM' string",
        "long.yaml": "Ensure this value has at most 200 characters (it has 201).",
    }
    assert report.series == {"good.yaml": ["yaml2ical-case-weekly--1", "yaml2ical-case-weekly--2"]}
    assert sorted(Series.objects.values_list("slug", flat=True)) == report.series["good.yaml"]


@pytest.mark.django_db
def test_import_command_exits_non_zero_after_importing_the_good_files(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "good.yaml")
    write(tmp_path, "bad.yaml", "project: Bad\n")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "import_yaml2ical", str(tmp_path), "--at", "2026-09-01T00:00Z", stdout=out, stderr=err
        )

    assert str(raised.value) == "Not imported: bad.yaml."
    assert out.getvalue().splitlines() == [
        "good.yaml: yaml2ical-case-weekly--1, yaml2ical-case-weekly--2",
        "Imported 1 files (2 series); 1 failed; 0 warnings.",
    ]
    assert err.getvalue().splitlines() == ["Error: bad.yaml: missing description, schedule"]
    assert Series.objects.count() == 2


@pytest.mark.django_db
def test_import_removed_schedule_deactivates_its_series(tmp_path):
    path = shutil.copy(CASES_DIR / "parallel.yaml", tmp_path / "parallel.yaml")
    importing.import_files(paths=[path], now=NOW)
    text = path.read_text()
    path.write_text(text[: text.index("  - time: '1400'")] + text[text.index("chair:") :])

    report = importing.import_files(paths=[path], now=NOW)

    second = Series.objects.get(slug="yaml2ical-case-parallel--2")
    assert second.is_active is False
    assert set(second.meetings.values_list("status", flat=True)) == {"cancelled"}
    assert report.warnings[-1:] == [
        "yaml2ical-case-parallel--2: no longer in parallel.yaml; deactivated, and its coming "
        "meetings cancelled."
    ]


@pytest.mark.django_db
def test_import_combines_alternating_schedules_once_the_later_one_started():
    path = CASES_DIR / "alternating-later.yaml"
    importing.import_files(paths=[path], now=NOW)

    compare_with_yaml2ical(path, utc(2026, 11, 6))

    series = {s.slug: (s.is_active, shape(s)) for s in Series.objects.all()}
    assert series == {
        "yaml2ical-case-alternating-later--1": (
            False,
            "every 2 weeks from 2026-08-06, 60 min: Thu 14:00 UTC",
        ),
        "yaml2ical-case-alternating-later--2": (
            False,
            "every 2 weeks from 2026-11-05, 60 min: Thu 21:00 UTC",
        ),
        "yaml2ical-case-alternating-later--1-2": (
            True,
            "every 1 weeks from 2026-10-29, 60 min: Thu 14:00 UTC, Thu 21:00 UTC",
        ),
    }


@pytest.mark.django_db
def test_import_reschedules_a_meeting_whose_skip_date_was_removed(tmp_path):
    path = shutil.copy(CASES_DIR / "skip-dates.yaml", tmp_path / "skip-dates.yaml")
    importing.import_files(paths=[path], now=NOW)
    text = path.read_text()
    path.write_text(text.replace("      - skip_date: 20270426\n        reason: Summit\n", ""))

    compare_with_yaml2ical(path, NOW)

    summit = Meeting.objects.get(starts_at=utc(2027, 4, 26, 15))
    assert (summit.status, summit.cancel_reason, summit.revision) == ("scheduled", "", 2)


# Export -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_alternating_series_writes_two_utc_schedules(tmp_path):
    importing.import_files(paths=[CASES_DIR / "alternating.yaml"], now=NOW)

    report = exporting.export_directory(directory=tmp_path, now=NOW)

    assert report.written == [tmp_path / "yaml2ical-case-alternating--1-2.yaml"]
    assert report.written[0].read_text() == (
        "# Exported from the LCOO Portal series yaml2ical-case-alternating--1-2 on 2026-09-01;"
        " times in UTC.\n"
        "project: Alternating Case\n"
        "meeting_id: yaml2ical-case-alternating--1-2\n"
        "schedule:\n"
        "- time: '1400'\n"
        "  day: Thursday\n"
        "  irc: case-alternating\n"
        "  frequency: biweekly-even\n"
        "  start_date: 20260903\n"
        "- time: '2100'\n"
        "  day: Thursday\n"
        "  irc: case-alternating\n"
        "  frequency: biweekly-odd\n"
        "  start_date: 20260910\n"
        "chair: Alex Alternate\n"
        "description: 'Like nova: one meeting alternating between a morning and an evening"
        " slot.'\n"
    )


@pytest.mark.django_db
def test_export_round_trip_reproduces_every_occurrence(tmp_path):
    importing.import_files(paths=CASE_FILES + REAL_FILES, now=NOW)
    tokyo = SeriesFactory(name="Tokyo Office Hours", slug="tokyo", anchor=datetime.date(2026, 1, 5))
    SlotFactory(series=tokyo, weekday=2, local_time=datetime.time(8), zone="Asia/Tokyo")
    scheduling.extend_series(series=tokyo, now=NOW)
    before = snapshot()
    folder = tmp_path / "export"

    report = exporting.export_directory(directory=folder, now=NOW)
    loaded = yaml2ical_meeting.load_meetings(str(folder))
    yaml2ical_meeting.check_for_meeting_conflicts(loaded)  # raises on a conflict
    Series.objects.all().delete()
    reimport = importing.import_directory(directory=folder, now=NOW)

    assert report.skipped == {}
    assert len(loaded) == len(report.written) == len(before[0])
    assert reimport.errors == {}
    assert snapshot() == before
    assert yaml.safe_load((folder / "tokyo.yaml").read_text())["schedule"] == [
        {
            "time": "2300",
            "day": "Tuesday",
            "irc": "tokyo",
            "frequency": "biweekly-even",
            "start_date": 20260901,
        }
    ]


@pytest.mark.django_db
def test_export_command_skips_series_yaml2ical_cannot_express(tmp_path):
    paris = SeriesFactory(name="Paris", slug="paris", anchor=datetime.date(2026, 1, 5))
    SlotFactory(series=paris, weekday=1, local_time=datetime.time(14), zone="Europe/Paris")
    board = SeriesFactory(slug="board", audience="board", interval=1)
    SlotFactory(series=board, zone="UTC")
    triple = SeriesFactory(slug="triple", interval=1)
    for hour in (8, 12, 16):
        SlotFactory(series=triple, local_time=datetime.time(hour), zone="UTC")
    out = io.StringIO()

    call_command("export_yaml2ical", str(tmp_path), "--at", "2026-09-01T00:00Z", stdout=out)

    assert out.getvalue().splitlines() == [
        "Skipped board: it is not public, and yaml2ical files are published",
        "Skipped paris: its slot Tue 14:00 Europe/Paris is at Tue 12:00 and at Tue 13:00 UTC "
        "over the next 52 weeks (daylight saving time), and yaml2ical times are fixed UTC",
        "Skipped triple: each slot comes back every 3 weeks; yaml2ical repeats every 1, 2 or 4",
        "Wrote 0 files; skipped 3.",
    ]
    assert list(tmp_path.iterdir()) == []
