"""Import and export of OpenStack's irc-meetings YAML, the format the yaml2ical tool reads.

The import reproduces yaml2ical 0.15's own .ics: each schedule's first date is the one
yaml2ical picks from its `start_date` (today when absent), and from there the meeting repeats
at a strict interval, exactly as the RRULE in the .ics does. The "even/odd ISO week" names
are only used to pick that first date; they are never applied again later, so after a 53-week
ISO year (2020, 2026) the portal, like the .ics, no longer meets on weeks of that parity, and
the import says so.

All times in these files are UTC: imported slots are in the zone "UTC". A portal series is
exported only when yaml2ical can say exactly the same thing: fixed UTC times (no DST), a
period of 1, 2 or 4 weeks per slot, or one slot on the first to fourth weekday (Monday to
Friday, UTC) of every month. Anything else is skipped with the reason.
"""

from __future__ import annotations

import datetime
import re
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from . import rotation, services
from .models import Audience, Meeting, Series, Slot

UTC = datetime.UTC
WEEK = datetime.timedelta(weeks=1)
#: How far ahead imports are checked against ISO-week parity and exports are verified.
WINDOW = datetime.timedelta(weeks=52)
#: yaml2ical's default meeting length (Schedule.duration).
DEFAULT_DURATION = 60
SLUG_PREFIX = "yaml2ical-"

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = ("first", "second", "third", "fourth")

# Lines the import adds under the file's description; the export reads them back.
CHAIR = "Chair: "
AGENDA = "Agenda: "
PROJECT_URL = "Project URL: "
IRC = "IRC: #"
MATRIX = "Matrix: "
TRAILER = (CHAIR, AGENDA, PROJECT_URL, IRC, MATRIX)


# Frequencies ------------------------------------------------------------------------


@dataclass(frozen=True)
class Frequency:
    """One of yaml2ical's frequency names.

    A weekly kind repeats every `weeks` (1, 2 or 4) weeks; its first meeting falls in an ISO
    week whose number mod `weeks` is `week_class`. A monthly kind meets on the `ordinal`-th
    `weekday` of every month. adhoc has neither.
    """

    name: str
    weeks: int = 0
    week_class: int = 0
    ordinal: int = 0
    weekday: int | None = None

    @property
    def is_adhoc(self) -> bool:
        return self.name == "adhoc"

    @property
    def is_monthly(self) -> bool:
        return self.ordinal > 0

    def describe_week(self) -> str:
        if self.weeks == 2:
            return "an odd ISO week" if self.week_class else "an even ISO week"
        return f"an ISO week whose number mod 4 is {self.week_class}"


def _frequencies() -> dict[str, Frequency]:
    table = [
        Frequency("weekly", weeks=1),
        Frequency("biweekly-odd", weeks=2, week_class=1),
        Frequency("biweekly-even", weeks=2, week_class=0),
        Frequency("quadweekly", weeks=4, week_class=0),
        Frequency("quadweekly-week-1", weeks=4, week_class=1),
        Frequency("quadweekly-week-2", weeks=4, week_class=2),
        Frequency("quadweekly-week-3", weeks=4, week_class=3),
        # yaml2ical defines it as week 2 of the four, like quadweekly-week-2.
        Frequency("quadweekly-alternate", weeks=4, week_class=2),
        Frequency("adhoc"),
    ]
    for ordinal, word in enumerate(ORDINALS, start=1):
        for weekday, day in enumerate(WEEKDAYS[:5]):
            table.append(Frequency(f"{word}-{day.lower()}", ordinal=ordinal, weekday=weekday))
    return {frequency.name: frequency for frequency in table}


FREQUENCIES = _frequencies()


def week_number(day: datetime.date) -> int:
    """Weeks since Monday 1 January of year 1: consecutive, unlike ISO week numbers."""
    return (day.toordinal() - 1) // 7


def iso_week(day: datetime.date) -> int:
    return day.isocalendar().week


def _next_month(day: datetime.date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


# Parsed files -----------------------------------------------------------------------


class InvalidMeetingFile(Exception):
    """A file the import cannot read; the message says why."""


@dataclass(frozen=True)
class SkipDate:
    date: datetime.date
    reason: str


@dataclass(frozen=True)
class Schedule:
    """One entry of a file's `schedule` list. `index` is its position in the file."""

    index: int
    weekday: int
    time: datetime.time
    frequency: Frequency
    start_date: datetime.date | None
    duration: int
    chair: str
    irc: str = ""
    matrix: str = ""
    skip_dates: tuple[SkipDate, ...] = ()

    @property
    def location(self) -> str:
        return f"{IRC}{self.irc}" if self.irc else f"{MATRIX}{self.matrix}"

    def __str__(self) -> str:
        return f"{self.frequency.name} {WEEKDAYS[self.weekday]} {self.time:%H%M}"

    def first_date(self, today: datetime.date) -> datetime.date | None:
        """The date of the first meeting, by yaml2ical's rules; see `first_date_from`."""
        return self.first_date_from(self.start_date or today)

    def first_date_from(self, start: datetime.date) -> datetime.date | None:
        """The date yaml2ical 0.15 gives the first meeting from `start` (recurrence.py).

        All weekly kinds begin at the first day of the schedule's weekday on or after
        `start`. Every 2 weeks (BiWeeklyRecurrence): if that day's ISO week has the wrong
        parity, one week later, and no more, even when that week has the wrong parity too
        (week 1 after a week 53). Every 4 weeks (QuadWeeklyRecurrence): a week at a time
        until the ISO week number has the right remainder. Monthly kinds: the ordinal-th
        weekday of the month *after* the start's month, even when that weekday is still to
        come in the start's own month. adhoc: none.
        """
        if self.frequency.is_adhoc:
            return None
        if self.frequency.is_monthly:
            year, month = _next_month(start)
            return rotation.nth_weekday(year, month, self.weekday, self.frequency.ordinal)
        day = start + datetime.timedelta(days=(self.weekday - start.weekday()) % 7)
        weeks, week_class = self.frequency.weeks, self.frequency.week_class
        if weeks == 2:
            return day if iso_week(day) % 2 == week_class else day + WEEK
        while iso_week(day) % weeks != week_class:
            day += WEEK
        return day

    def could_start_on(self, day: datetime.date) -> bool:
        """Whether some start date makes yaml2ical hold the first meeting on `day` (weekly
        kinds): what an anchor chosen on an earlier import must be to be kept."""
        weeks = self.frequency.weeks
        return any(self.first_date_from(day - back * WEEK) == day for back in range(weeks))

    def starts(
        self, *, today: datetime.date, start: datetime.datetime, end: datetime.datetime
    ) -> list[datetime.datetime]:
        """Its meetings with start <= instant < end, as yaml2ical's .ics repeats them."""
        return [moment for moment in self._moments(today, end) if moment >= start]

    def _moments(self, today: datetime.date, end: datetime.datetime) -> Iterator[datetime.datetime]:
        first = self.first_date(today)
        if first is None:
            return
        k = 0
        while True:
            if self.frequency.is_monthly:
                year, month = divmod(first.year * 12 + first.month - 1 + k, 12)
                day = rotation.nth_weekday(year, month + 1, self.weekday, self.frequency.ordinal)
            else:
                day = first + k * self.frequency.weeks * WEEK
            moment = datetime.datetime.combine(day, self.time, tzinfo=UTC)
            if moment >= end:
                return
            yield moment
            k += 1


@dataclass(frozen=True)
class MeetingFile:
    file_name: str
    meeting_id: str
    project: str
    description: str
    agenda_url: str
    project_url: str
    schedules: tuple[Schedule, ...]

    @property
    def slug_base(self) -> str:
        return f"{SLUG_PREFIX}{slugify(self.meeting_id)}"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _parse_date(value: object, what: str) -> datetime.date:
    # yaml2ical reads dates with strptime(str(value), "%Y%m%d"): 20190416, not 2019-04-16.
    try:
        parsed = time.strptime(str(value), "%Y%m%d")
    except ValueError:
        raise InvalidMeetingFile(f"{what} {value!r} is not a date written YYYYMMDD") from None
    return datetime.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)


def _parse_schedule(index: int, entry: object, default_chair: object) -> Schedule:
    where = f"schedule {index + 1}"
    if not isinstance(entry, dict):
        raise InvalidMeetingFile(f"{where} is not a mapping")
    missing = [key for key in ("time", "day", "frequency") if key not in entry]
    if not (entry.get("irc") or entry.get("matrix")):
        missing.append("irc or matrix")
    if missing:
        raise InvalidMeetingFile(f"{where} is missing {', '.join(missing)}")
    raw_time = entry["time"]
    if not isinstance(raw_time, str):
        # An unquoted 1400 is a YAML integer, which yaml2ical cannot read either.
        raise InvalidMeetingFile(f"{where}: time {raw_time!r} must be a quoted 'HHMM' string")
    try:
        parsed = time.strptime(raw_time, "%H%M")
    except ValueError:
        raise InvalidMeetingFile(f"{where}: time {raw_time!r} is not HHMM (UTC)") from None
    day = str(entry["day"]).lower().capitalize()
    if day not in WEEKDAYS:
        raise InvalidMeetingFile(f"{where}: day {entry['day']!r} is not a day of the week")
    weekday = WEEKDAYS.index(day)
    frequency = FREQUENCIES.get(str(entry["frequency"]))
    if frequency is None:
        raise InvalidMeetingFile(f"{where}: unknown frequency {entry['frequency']!r}")
    if frequency.is_monthly and frequency.weekday != weekday:
        raise InvalidMeetingFile(
            f"{where}: frequency {frequency.name} is on {WEEKDAYS[frequency.weekday]}s "
            f"but day is {day}"
        )
    start_date = None
    if "start_date" in entry:
        start_date = _parse_date(entry["start_date"], f"{where}: start_date")
    duration = entry.get("duration", DEFAULT_DURATION)
    if isinstance(duration, bool) or not str(duration).isdigit():
        raise InvalidMeetingFile(f"{where}: duration {duration!r} is not a number of minutes")
    duration = int(duration)
    if not 5 <= duration <= 24 * 60:
        raise InvalidMeetingFile(f"{where}: duration {duration} is not 5 to 1440 minutes")
    chair = entry.get("chair", default_chair)
    skip_dates = []
    for skip in entry.get("skip_dates") or []:
        if not isinstance(skip, dict) or not {"skip_date", "reason"} <= set(skip):
            raise InvalidMeetingFile(f"{where}: each skip date needs skip_date and reason")
        skip_dates.append(
            SkipDate(_parse_date(skip["skip_date"], f"{where}: skip_date"), _text(skip["reason"]))
        )
    return Schedule(
        index=index,
        weekday=weekday,
        time=datetime.time(parsed.tm_hour, parsed.tm_min),
        frequency=frequency,
        start_date=start_date,
        duration=duration,
        chair=_text(chair),
        irc=_text(entry.get("irc")),
        matrix="" if entry.get("irc") else _text(entry.get("matrix")),
        skip_dates=tuple(skip_dates),
    )


def parse_meeting_file(text: str, *, file_name: str) -> MeetingFile:
    """Read one irc-meetings file, with yaml2ical's required keys; InvalidMeetingFile if not."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidMeetingFile(f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise InvalidMeetingFile("not a YAML mapping of meeting keys")
    missing = [key for key in ("project", "description", "schedule") if key not in data]
    if missing:
        raise InvalidMeetingFile(f"missing {', '.join(missing)}")
    if not _text(data["project"]):
        raise InvalidMeetingFile("project is empty")
    entries = data["schedule"]
    if not isinstance(entries, list) or not entries:
        raise InvalidMeetingFile("schedule is not a list of one or more schedules")
    if "chair" not in data and any("chair" not in e for e in entries if isinstance(e, dict)):
        raise InvalidMeetingFile("missing chair (for the file, or in every schedule)")
    default_chair = data.get("chair")
    meeting_id = _text(data.get("meeting_id")) or Path(file_name).stem
    if not slugify(meeting_id):
        meeting_id = Path(file_name).stem
    return MeetingFile(
        file_name=file_name,
        meeting_id=meeting_id,
        project=_text(data["project"]),
        description=_text(data["description"]),
        agenda_url=_text(data.get("agenda_url")),
        project_url=_text(data.get("project_url")),
        schedules=tuple(
            _parse_schedule(index, entry, default_chair) for index, entry in enumerate(entries)
        ),
    )


# Planning: which schedules become one series -------------------------------------------


@dataclass(frozen=True)
class SeriesPlan:
    """A series to make from a file: its schedules in slot order, and its cadence."""

    slug: str
    schedules: tuple[Schedule, ...]
    cadence: str
    anchor: datetime.date
    interval: int = 1
    monthly_ordinal: int = 1

    @property
    def duration(self) -> int:
        return self.schedules[0].duration

    def rotation_cadence(self) -> rotation.Cadence:
        if self.cadence == Series.Cadence.WEEKLY:
            return rotation.EveryNWeeks(anchor=self.anchor, interval=self.interval)
        if self.cadence == Series.Cadence.MONTHLY:
            return rotation.MonthlyNthWeekday(anchor=self.anchor, ordinal=self.monthly_ordinal)
        return rotation.ExplicitDates()

    def rotation_slots(self) -> list[rotation.Slot]:
        return [rotation.Slot(weekday=s.weekday, time=s.time, zone="UTC") for s in self.schedules]

    def slot_date(self, position: int) -> datetime.date:
        """The date of the slot's first turn, counted from the anchor (weekly cadences)."""
        return (
            rotation.monday_of(self.anchor)
            + position * self.interval * WEEK
            + datetime.timedelta(days=self.schedules[position].weekday)
        )


def plan_series(meeting: MeetingFile, *, now: datetime.datetime) -> list[SeriesPlan]:
    """Group the file's schedules into series, by yaml2ical's first dates as of `now`.

    Monthly schedules are a series each. adhoc schedules of one length are one series with
    no meetings. Schedules every 2 or 4 weeks with the same length and place that take turns
    (their first dates fall in different weeks of the cycle, evenly spaced: even and odd
    weeks, or quadweekly weeks 0 and 2, 1 and 3, or all four) become one series rotating
    their slots; schedules that meet in the same weeks stay parallel series, and so do
    weekly ones.

    A series' slug is the file's meeting_id and the 1-based positions of its schedules in
    the file ("yaml2ical-nova--1-2"), so importing the file again finds it, and a group
    that changes is a new series rather than an old one renumbered under its meetings.
    """
    today = now.astimezone(UTC).date()
    plans: list[SeriesPlan] = []
    adhoc: dict[int, list[Schedule]] = {}
    every_n_weeks: dict[tuple[int, int, str], list[Schedule]] = {}
    for schedule in meeting.schedules:
        frequency = schedule.frequency
        if frequency.is_adhoc:
            adhoc.setdefault(schedule.duration, []).append(schedule)
        elif frequency.is_monthly:
            plans.append(
                SeriesPlan(
                    slug="",
                    schedules=(schedule,),
                    cadence=Series.Cadence.MONTHLY,
                    anchor=schedule.first_date(today),
                    monthly_ordinal=frequency.ordinal,
                )
            )
        else:
            key = (frequency.weeks, schedule.duration, schedule.location)
            every_n_weeks.setdefault(key, []).append(schedule)
    for group in adhoc.values():
        plans.append(
            SeriesPlan(
                slug="", schedules=tuple(group), cadence=Series.Cadence.EXPLICIT, anchor=today
            )
        )
    for group in every_n_weeks.values():
        plans += _rotations(group, today=today, now=now)
    plans.sort(key=lambda plan: min(s.index for s in plan.schedules))
    return [replace(plan, slug=_slug(meeting, plan.schedules)) for plan in plans]


def _slug(meeting: MeetingFile, schedules: Sequence[Schedule]) -> str:
    positions = sorted(schedule.index + 1 for schedule in schedules)
    return f"{meeting.slug_base}--{'-'.join(str(position) for position in positions)}"


def _rotations(
    schedules: list[Schedule], *, today: datetime.date, now: datetime.datetime
) -> list[SeriesPlan]:
    """Schedules with the same period in weeks, grouped into rotations where they alternate."""
    weeks = schedules[0].frequency.weeks
    first = {s.index: s.first_date(today) for s in schedules}
    # Which week of the cycle each one meets in, as the .ics counts: weeks since its first
    # date, not ISO week numbers (they differ after a 53-week year).
    queues: dict[int, deque[Schedule]] = {cycle_week: deque() for cycle_week in range(weeks)}
    for schedule in schedules:
        queues[week_number(first[schedule.index]) % weeks].append(schedule)
    groups = []
    for step in (1, 2):
        if weeks // step < 2:
            continue
        for offset in range(step):
            cycle_weeks = range(offset, weeks, step)
            while all(queues[w] for w in cycle_weeks):
                groups.append([queues[w].popleft() for w in cycle_weeks])
    groups += [[schedule] for queue in queues.values() for schedule in queue]
    plans = []
    for group in groups:
        plan = _rotation(group, first=first, now=now)
        if plan is None:  # it would lose coming meetings: keep them apart
            plans += [_rotation([schedule], first=first, now=now) for schedule in group]
        else:
            plans.append(plan)
    return plans


def _rotation(
    group: list[Schedule], *, first: dict[int, datetime.date], now: datetime.datetime
) -> SeriesPlan | None:
    """One series taking the schedules in turn, or None if that would drop a coming meeting.

    The rotation starts with the first cycle in which every schedule has begun, so a
    schedule that started later never gets turns before its own first date. Earlier
    meetings of the others are left out, which only matters if one is still to come.
    """
    weeks = group[0].frequency.weeks
    interval = weeks // len(group)
    number = {s.index: week_number(first[s.index]) for s in group}
    anchor_week = max(number.values()) - (weeks - interval)
    turn = {s.index: anchor_week + (number[s.index] - anchor_week) % weeks for s in group}
    for s in group:
        if turn[s.index] > number[s.index]:
            last_left_out = first[s.index] + (turn[s.index] - weeks - number[s.index]) * WEEK
            if datetime.datetime.combine(last_left_out, s.time, tzinfo=UTC) >= now:
                return None
    ordered = sorted(group, key=lambda s: turn[s.index])
    lead = ordered[0]
    return SeriesPlan(
        slug="",
        schedules=tuple(ordered),
        cadence=Series.Cadence.WEEKLY,
        anchor=first[lead.index] + (turn[lead.index] - number[lead.index]) * WEEK,
        interval=interval,
    )


def _with_stored_anchor(series: Series | None, plan: SeriesPlan) -> SeriesPlan:
    """Keep the anchor (and slot order) an earlier import chose when the file has no start date.

    Without a start_date yaml2ical starts from the day it runs, so its first date moves
    every day, and after a 53-week ISO year it even changes parity. The portal chose its
    anchor once and keeps a strict interval from it; it re-plans only when the file's
    schedules no longer fit the stored ones (another day, time or frequency).
    """
    if series is None:
        return plan
    if plan.cadence == Series.Cadence.EXPLICIT:
        return replace(plan, anchor=series.anchor)
    if any(s.start_date for s in plan.schedules):
        return plan
    stored = (series.cadence, series.interval, series.monthly_ordinal)
    if stored != (plan.cadence, plan.interval, plan.monthly_ordinal):
        return plan
    by_slot = {(s.weekday, s.time): s for s in plan.schedules}
    stored_slots = [(slot.weekday, slot.local_time) for slot in series.slots.all()]
    if len(by_slot) != len(plan.schedules) or sorted(stored_slots) != sorted(by_slot):
        return plan
    kept = replace(
        plan, schedules=tuple(by_slot[key] for key in stored_slots), anchor=series.anchor
    )
    for position, schedule in enumerate(kept.schedules):
        frequency = schedule.frequency
        if frequency.is_monthly:
            day = rotation.nth_weekday(
                kept.anchor.year, kept.anchor.month, schedule.weekday, frequency.ordinal
            )
            fits = day == kept.anchor
        else:
            # Not the ISO-week parity: from week 53, yaml2ical's first date breaks it.
            fits = schedule.could_start_on(kept.slot_date(position))
        if not fits:
            return plan
    return kept


def parity_warnings(plan: SeriesPlan, *, name: str, now: datetime.datetime) -> list[str]:
    """Where the strict interval leaves the ISO-week parity its frequency name promises.

    That happens after a 53-week ISO year (2020, 2026: week 53 and the next week 1 are both
    odd). yaml2ical's .ics keeps the interval; so does the portal, and says so.
    """
    if plan.cadence != Series.Cadence.WEEKLY:
        return []
    warnings, warned = [], set()
    slots = plan.rotation_slots()
    for occurrence in rotation.expand(plan.rotation_cadence(), slots, now, now + WINDOW):
        schedule = plan.schedules[occurrence.slot_index]
        frequency = schedule.frequency
        day = occurrence.start.date()
        if frequency.weeks < 2 or schedule.index in warned:
            continue
        if iso_week(day) % frequency.weeks != frequency.week_class:
            warned.add(schedule.index)
            week = day.isocalendar()
            warnings.append(
                f"{plan.slug} ({name}): {schedule} falls on {day}, in ISO week {week.week} of "
                f"{week.year}, not {frequency.describe_week()}: yaml2ical's .ics repeats it "
                f"every {frequency.weeks} weeks from {plan.slot_date(occurrence.slot_index)} "
                f"across 53-week ISO years. The portal keeps the .ics dates."
            )
    return warnings


# Import -----------------------------------------------------------------------------


@dataclass
class ImportReport:
    series: dict[str, list[str]] = field(default_factory=dict)  # file name: series slugs
    warnings: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # file name: why it was not imported


@dataclass(frozen=True)
class MeetingImport:
    series: list[Series]
    warnings: list[str]


def yaml_files(directory: Path) -> list[Path]:
    """The .yaml files under `directory`, as yaml2ical finds them (subfolders too)."""
    return sorted(path for path in directory.rglob("*.yaml") if path.is_file())


def import_directory(*, directory: Path, now: datetime.datetime | None = None) -> ImportReport:
    return import_files(paths=yaml_files(directory), now=now)


def import_files(*, paths: Sequence[Path], now: datetime.datetime | None = None) -> ImportReport:
    """Import each file on its own: a bad one is reported and leaves nothing behind."""
    now = now or timezone.now()
    report = ImportReport()
    owners: dict[str, str] = {}
    for path in paths:
        name = path.name
        try:
            meeting = parse_meeting_file(path.read_text(encoding="utf-8"), file_name=name)
            if meeting.slug_base in owners:
                owner = owners[meeting.slug_base]
                raise InvalidMeetingFile(f"{owner} has the same meeting_id, {meeting.meeting_id!r}")
            result = import_meeting(meeting=meeting, now=now)
        except UnicodeDecodeError:
            report.errors[name] = "not UTF-8 text"
        except OSError as error:
            report.errors[name] = f"cannot be read: {error.strerror}"
        except InvalidMeetingFile as error:
            report.errors[name] = str(error)
        except ValidationError as error:
            report.errors[name] = "; ".join(error.messages)
        else:
            owners[meeting.slug_base] = name
            report.series[name] = [series.slug for series in result.series]
            report.warnings += result.warnings
    return report


@transaction.atomic
def import_meeting(*, meeting: MeetingFile, now: datetime.datetime) -> MeetingImport:
    """Create or update the file's series, their slots and their coming meetings.

    Safe to run again: series are found by slug, slots by position, and meetings are
    made by services.extend_series. Skip dates cancel their meeting. Series of the file
    that it no longer has are deactivated and their coming meetings cancelled; a meeting
    the import cancelled comes back when the file has it again.
    """
    saved, warnings = [], []
    for planned in plan_series(meeting, now=now):
        existing = Series.objects.filter(slug=planned.slug).first()
        plan = _with_stored_anchor(existing, planned)
        series = _save_series(existing, plan=plan, meeting=meeting)
        _restore_lifted(series, plan=plan, file_name=meeting.file_name, now=now)
        services.extend_series(series=series, now=now)
        warnings += parity_warnings(plan, name=meeting.project, now=now)
        warnings += _cancel_skipped(series, plan=plan, file_name=meeting.file_name, now=now)
        saved.append(series)
    warnings += _retire_missing(meeting, keep={series.slug for series in saved}, now=now)
    return MeetingImport(series=saved, warnings=warnings)


def _description(meeting: MeetingFile, schedules: Sequence[Schedule]) -> str:
    lines = [meeting.description, ""] if meeting.description else []
    chairs = list(dict.fromkeys(s.chair for s in schedules if s.chair))
    if chairs:
        lines.append(CHAIR + "; ".join(chairs))
    if meeting.agenda_url:
        lines.append(AGENDA + meeting.agenda_url)
    if meeting.project_url:
        lines.append(PROJECT_URL + meeting.project_url)
    lines += dict.fromkeys(s.location for s in schedules)
    return "\n".join(lines)


def _save_series(existing: Series | None, *, plan: SeriesPlan, meeting: MeetingFile) -> Series:
    series = existing or Series(
        slug=plan.slug,
        kind=Series.Kind.GENERAL,
        audience=Audience.PUBLIC,
        # Imported meetings were announced where they came from; a coordinator turns the
        # portal's announcements on per series when the group wants them.
        announce_days_ahead=0,
    )
    series.name = meeting.project
    series.description = _description(meeting, plan.schedules)
    series.cadence, series.interval = plan.cadence, plan.interval
    series.monthly_ordinal, series.anchor = plan.monthly_ordinal, plan.anchor
    series.duration_minutes = plan.duration
    series.is_active = True
    series.full_clean()
    series.save()
    slots = list(series.slots.order_by("position", "pk"))
    for position, schedule in enumerate(plan.schedules):
        slot = slots[position] if position < len(slots) else Slot(series=series)
        slot.position, slot.weekday, slot.local_time = position, schedule.weekday, schedule.time
        slot.zone = "UTC"
        slot.full_clean()
        slot.save()
    for extra in slots[len(plan.schedules) :]:
        extra.delete()
    return series


def _cancel_skipped(
    series: Series, *, plan: SeriesPlan, file_name: str, now: datetime.datetime
) -> list[str]:
    """Cancel the meeting of each coming skip date; past ones are history and left alone."""
    if plan.cadence == Series.Cadence.EXPLICIT:
        return []  # yaml2ical ignores the skip dates of an adhoc schedule too
    skips = [
        (position, schedule, skip, datetime.datetime.combine(skip.date, schedule.time, tzinfo=UTC))
        for position, schedule in enumerate(plan.schedules)
        for skip in schedule.skip_dates
    ]
    skips = [item for item in skips if item[3] >= now]
    if not skips:
        return []
    last = max(item[3] for item in skips)
    planned = {
        (occurrence.slot_index, occurrence.start)
        for occurrence in rotation.expand(
            plan.rotation_cadence(), plan.rotation_slots(), now, last + WEEK
        )
    }
    horizon = services.add_months(now, series.horizon_months)
    warnings = []
    for position, schedule, skip, moment in skips:
        said = f"{series.slug}: skip date {skip.date:%Y%m%d} ({skip.reason})"
        if (position, moment) not in planned:
            warnings.append(f"{said} is not a meeting of {schedule}; nothing to cancel.")
        elif moment >= horizon:
            warnings.append(
                f"{said} is beyond the portal's {series.horizon_months}-month horizon; "
                "import the file again nearer the day to cancel it."
            )
        else:
            meeting = series.meetings.filter(starts_at=moment, sequence_index__isnull=False).first()
            if meeting is not None and meeting.status == Meeting.Status.SCHEDULED:
                services.cancel_meeting(meeting=meeting, reason=_skipped(file_name, skip.reason))
    return warnings


def _skipped(file_name: str, reason: str) -> str:
    return (f"Skipped in {file_name}: {reason}" if reason else f"Skipped in {file_name}.")[:300]


def _no_longer_in(file_name: str) -> str:
    return f"No longer in {file_name}."


def _restore_lifted(
    series: Series, *, plan: SeriesPlan, file_name: str, now: datetime.datetime
) -> None:
    """Reschedule coming meetings the import cancelled that the file no longer skips."""
    skipped = {
        datetime.datetime.combine(skip.date, schedule.time, tzinfo=UTC)
        for schedule in plan.schedules
        for skip in schedule.skip_dates
    }
    by_import = (
        Q(cancel_reason=_no_longer_in(file_name))
        | Q(cancel_reason=_skipped(file_name, ""))
        | Q(cancel_reason__startswith=f"Skipped in {file_name}: ")
    )
    lifted = series.meetings.filter(
        by_import,
        status=Meeting.Status.CANCELLED,
        sequence_index__isnull=False,
        starts_at__gte=now,
    )
    if plan.cadence != Series.Cadence.EXPLICIT:
        lifted = lifted.exclude(starts_at__in=skipped)
    for meeting in lifted:
        meeting.status, meeting.cancel_reason = Meeting.Status.SCHEDULED, ""
        meeting.edited = False  # so extend_series places it again
        meeting.revision += 1
        meeting.save(update_fields=["status", "cancel_reason", "edited", "revision", "updated_at"])


def _retire_missing(meeting: MeetingFile, *, keep: set[str], now: datetime.datetime) -> list[str]:
    own = re.compile(rf"{re.escape(meeting.slug_base)}--\d+(-\d+)*")
    warnings = []
    for series in Series.objects.filter(slug__startswith=f"{meeting.slug_base}--", is_active=True):
        if series.slug in keep or not own.fullmatch(series.slug):
            continue
        series.is_active = False
        series.save(update_fields=["is_active", "updated_at"])
        for coming in series.meetings.filter(status=Meeting.Status.SCHEDULED, starts_at__gte=now):
            services.cancel_meeting(meeting=coming, reason=_no_longer_in(meeting.file_name))
        warnings.append(
            f"{series.slug}: no longer in {meeting.file_name}; deactivated, and its coming "
            "meetings cancelled."
        )
    return warnings


# Export -----------------------------------------------------------------------------


class NotExpressible(Exception):
    """A series yaml2ical cannot describe exactly; the message says why."""


@dataclass
class ExportReport:
    written: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # series slug: why it was not written


def export_directory(*, directory: Path, now: datetime.datetime | None = None) -> ExportReport:
    """Write one yaml2ical file per expressible series, named after its slug."""
    now = now or timezone.now()
    directory.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for series in Series.objects.order_by("slug").prefetch_related("slots"):
        try:
            text = meeting_yaml(series=series, now=now)
        except NotExpressible as error:
            report.skipped[series.slug] = str(error)
            continue
        path = directory / f"{series.slug}.yaml"
        path.write_text(text, encoding="utf-8")
        report.written.append(path)
    return report


class _Dumper(yaml.SafeDumper):
    pass


class _Quoted(str):
    """Written in quotes: '0900' unquoted is a string to PyYAML but a number to others."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "'" if isinstance(value, _Quoted) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Quoted, _represent_text)


def meeting_yaml(*, series: Series, now: datetime.datetime) -> str:
    """The series as an irc-meetings file; NotExpressible if yaml2ical cannot say the same."""
    description, trailer = _split_description(series.description)
    irc, matrix = trailer.get(IRC, ""), trailer.get(MATRIX, "")
    notes = [f"Exported from the LCOO Portal series {series.slug} on {now:%Y-%m-%d}; times in UTC."]
    if not (irc or matrix):
        irc = series.slug
        notes.append("The portal has no IRC channel for it: irc holds the series' slug.")
        if series.conference_link:
            description = f"{description}\n\nJoin: {series.conference_link}".strip()
    schedules = export_schedules(series, now=now, irc=irc, matrix=matrix)
    document: dict[str, object] = {"project": series.name, "meeting_id": series.slug}
    if AGENDA in trailer:
        document["agenda_url"] = trailer[AGENDA]
    if PROJECT_URL in trailer:
        document["project_url"] = trailer[PROJECT_URL]
    document["schedule"] = [_schedule_document(schedule) for schedule in schedules]
    document["chair"] = trailer.get(CHAIR, "")
    document["description"] = description
    header = "".join(f"# {note}\n" for note in notes)
    return header + yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def _split_description(text: str) -> tuple[str, dict[str, str]]:
    """The description without the lines the import added under it, and those lines."""
    lines = text.rstrip().splitlines()
    found = {}
    while lines:
        prefix = next((p for p in TRAILER if lines[-1].startswith(p)), None)
        if prefix is None:
            break
        found[prefix] = lines.pop()[len(prefix) :].strip()  # the first of several wins
    return "\n".join(lines).strip(), found


def _schedule_document(schedule: Schedule) -> dict[str, object]:
    entry: dict[str, object] = {
        "time": _Quoted(f"{schedule.time:%H%M}"),
        "day": WEEKDAYS[schedule.weekday],
    }
    if schedule.irc:
        entry["irc"] = schedule.irc
    else:
        entry["matrix"] = schedule.matrix
    entry["frequency"] = schedule.frequency.name
    entry["start_date"] = int(f"{schedule.start_date:%Y%m%d}")
    if schedule.duration != DEFAULT_DURATION:
        entry["duration"] = schedule.duration
    if schedule.skip_dates:
        entry["skip_dates"] = [
            {"skip_date": int(f"{skip.date:%Y%m%d}"), "reason": skip.reason}
            for skip in schedule.skip_dates
        ]
    return entry


def _weekly_frequency(period: int, week_class: int) -> Frequency:
    if period == 1:
        return FREQUENCIES["weekly"]
    if period == 2:
        return FREQUENCIES["biweekly-odd" if week_class else "biweekly-even"]
    return FREQUENCIES["quadweekly" if week_class == 0 else f"quadweekly-week-{week_class}"]


def _skip_reason(cancel_reason: str) -> str:
    # A meeting the import cancelled says "Skipped in <file>: <reason>"; give back the reason.
    imported = re.fullmatch(r"Skipped in \S+: (.*)", cancel_reason, flags=re.DOTALL)
    return (imported.group(1) if imported else cancel_reason) or "Cancelled"


def export_schedules(
    series: Series, *, now: datetime.datetime, irc: str = "", matrix: str = ""
) -> list[Schedule]:
    """yaml2ical schedules giving exactly the series' meetings over the next 52 weeks.

    Each slot becomes a schedule at its UTC time, starting from its next meeting, whose
    ISO week picks the frequency name. Cancelled meetings become skip dates. Raises
    NotExpressible when no such schedules exist, with the reason.
    """
    if not series.is_active:
        raise NotExpressible("it is inactive")
    if series.audience != Audience.PUBLIC:
        raise NotExpressible("it is not public, and yaml2ical files are published")
    slots = series.rotation_slots()
    if not slots:
        raise NotExpressible("it has no slots")
    common = {"duration": series.duration_minutes, "chair": "", "irc": irc, "matrix": matrix}
    if series.cadence == Series.Cadence.EXPLICIT:
        if series.dates.exists():
            raise NotExpressible("it meets on explicit dates, which yaml2ical cannot list")
        return [_adhoc_schedule(index, slot, now=now, **common) for index, slot in enumerate(slots)]
    if series.cadence == Series.Cadence.MONTHLY:
        if len(slots) > 1:
            raise NotExpressible(
                f"it takes its {len(slots)} slots in turn month by month; "
                "a yaml2ical schedule meets every month"
            )
        if series.interval != 1:
            raise NotExpressible(f"it meets every {series.interval} months, not every month")
        if series.monthly_ordinal not in (1, 2, 3, 4):
            raise NotExpressible("it meets on the last weekday of the month; yaml2ical knows 1–4")
        period = 0
    else:
        period = series.interval * len(slots)
        if period not in (1, 2, 4):
            raise NotExpressible(
                f"each slot comes back every {period} weeks; yaml2ical repeats every 1, 2 or 4"
            )
    end = now + WINDOW
    planned = services.planned_occurrences(series, now, end)
    cancelled = dict(
        series.meetings.filter(
            status=Meeting.Status.CANCELLED,
            sequence_index__isnull=False,
            starts_at__gte=now,
            starts_at__lt=end,
        ).values_list("starts_at", "cancel_reason")
    )
    schedules = []
    for index, slot in enumerate(slots):
        starts = [o.start for o in planned if o.slot_index == index]
        if not starts:
            raise NotExpressible(f"its slot {slot} has no meeting in the next 52 weeks")
        in_utc = sorted({f"{moment:%a %H:%M}" for moment in starts})
        if len(in_utc) > 1:
            raise NotExpressible(
                f"its slot {slot} is at {' and at '.join(in_utc)} UTC over the next 52 weeks "
                "(daylight saving time), and yaml2ical times are fixed UTC"
            )
        first = starts[0]
        if period:
            frequency = _weekly_frequency(period, iso_week(first.date()) % period)
            start_date = first.date()
        else:
            name = f"{ORDINALS[series.monthly_ordinal - 1]}-{first:%A}".lower()
            if name not in FREQUENCIES:
                raise NotExpressible(
                    f"its slot {slot} is on {first:%A}s in UTC; yaml2ical's monthly "
                    "frequencies are Monday to Friday"
                )
            frequency = FREQUENCIES[name]
            # yaml2ical's first monthly meeting is in the month after the start date.
            start_date = first.date().replace(day=1) - datetime.timedelta(days=1)
        schedule = Schedule(
            index=index,
            weekday=first.weekday(),
            time=first.time(),
            frequency=frequency,
            start_date=start_date,
            skip_dates=tuple(
                SkipDate(moment.date(), _skip_reason(cancelled[moment]))
                for moment in starts
                if moment in cancelled
            ),
            **common,
        )
        if schedule.starts(today=now.date(), start=now, end=end) != starts:
            raise NotExpressible(
                f"its slot {slot} does not keep to one UTC rule: yaml2ical's "
                f"{frequency.name} at {first:%H:%M} UTC would give other dates"
            )
        schedules.append(schedule)
    return schedules


def _adhoc_schedule(
    index: int, slot: rotation.Slot, *, now: datetime.datetime, **common: object
) -> Schedule:
    today = now.astimezone(UTC).date()
    moment = slot.at(today + datetime.timedelta(days=(slot.weekday - today.weekday()) % 7))
    return Schedule(
        index=index,
        weekday=moment.weekday(),
        time=moment.time(),
        frequency=FREQUENCIES["adhoc"],
        start_date=moment.date(),
        **common,
    )
