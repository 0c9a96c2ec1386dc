"""Reading irc-meetings files: yaml2ical's frequencies, schedules and their dates."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.utils.text import slugify

from meetings import rotation

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
