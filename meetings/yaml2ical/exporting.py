"""Exporting the portal's series as irc-meetings files, when yaml2ical can say the same."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.utils import timezone

from meetings import rotation
from meetings.models import Audience, Meeting, Series
from meetings.scheduling import planned_occurrences

from .parse import (
    AGENDA,
    CHAIR,
    DEFAULT_DURATION,
    FREQUENCIES,
    IRC,
    MATRIX,
    ORDINALS,
    PROJECT_URL,
    TRAILER,
    UTC,
    WEEKDAYS,
    WINDOW,
    Frequency,
    Schedule,
    SkipDate,
    iso_week,
)


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
    notes = [
        f"Exported from the {settings.GROUP_SHORT_NAME} Portal series {series.slug} "
        f"on {now:%Y-%m-%d}; times in UTC."
    ]
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
    planned = planned_occurrences(series, now, end)
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
