"""Importing irc-meetings files as public series with their coming meetings."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from meetings import rotation
from meetings.models import Audience, Meeting, Series, Slot
from meetings.scheduling import add_months, cancel_meeting, extend_series

from .parse import (
    AGENDA,
    CHAIR,
    PROJECT_URL,
    UTC,
    WEEK,
    InvalidMeetingFile,
    MeetingFile,
    Schedule,
    parse_meeting_file,
)
from .schedule import SeriesPlan, parity_warnings, plan_series, with_stored_anchor


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


@dataclass(frozen=True)
class ImportKind:
    """What imported series are: a sub-team's working meetings unless someone says otherwise.

    An imported meeting is never a General Meeting or the Executive Board by default: those
    feed the join workflow and its invitations. `explicit`: it was asked for, so series
    imported before take it too; otherwise a series keeps the kind a coordinator gave it.
    """

    kind: str = Series.Kind.SUBTEAM
    audience: str = Audience.PUBLIC
    explicit: bool = False

    @classmethod
    def of(cls, kind: str | None = None, audience: str | None = None) -> ImportKind:
        if kind is None and audience is None:
            return cls()
        kind = kind or Series.Kind.SUBTEAM
        audience = audience or Series.defaults_for(kind)["audience"]
        if kind == Series.Kind.BOARD and audience != Audience.BOARD:
            raise ValueError("Executive Board meetings are for the board: use --audience board.")
        return cls(kind=kind, audience=audience, explicit=True)


def import_directory(
    *,
    directory: Path,
    now: datetime.datetime | None = None,
    kind: ImportKind = ImportKind(),
) -> ImportReport:
    return import_files(paths=yaml_files(directory), now=now, kind=kind)


def import_files(
    *,
    paths: Sequence[Path],
    now: datetime.datetime | None = None,
    kind: ImportKind = ImportKind(),
) -> ImportReport:
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
            result = import_meeting(meeting=meeting, now=now, kind=kind)
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
def import_meeting(
    *,
    meeting: MeetingFile,
    now: datetime.datetime,
    kind: ImportKind = ImportKind(),
) -> MeetingImport:
    """Create or update the file's series, their slots and their coming meetings.

    Safe to run again: series are found by slug, slots by position, and meetings are
    made by extend_series. Skip dates cancel their meeting. Series of the file
    that it no longer has are deactivated and their coming meetings cancelled; a meeting
    the import cancelled comes back when the file has it again.
    """
    saved, warnings = [], []
    for planned in plan_series(meeting, now=now):
        existing = Series.objects.filter(slug=planned.slug).first()
        plan = with_stored_anchor(existing, planned)
        series = _save_series(existing, plan=plan, meeting=meeting, kind=kind)
        _restore_lifted(series, plan=plan, file_name=meeting.file_name, now=now)
        extend_series(series=series, now=now)
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


def _save_series(
    existing: Series | None, *, plan: SeriesPlan, meeting: MeetingFile, kind: ImportKind
) -> Series:
    series = existing or Series(
        slug=plan.slug,
        kind=kind.kind,
        audience=kind.audience,
        # Imported meetings were announced where they came from; a coordinator turns the
        # portal's announcements on per series when the group wants them.
        announce_days_ahead=0,
    )
    if kind.explicit:
        series.kind, series.audience = kind.kind, kind.audience
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
    horizon = add_months(now, series.horizon_months)
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
                cancel_meeting(meeting=meeting, reason=_skipped(file_name, skip.reason))
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
        meeting.restore(by_hand=False)  # so extend_series places it again


def _retire_missing(meeting: MeetingFile, *, keep: set[str], now: datetime.datetime) -> list[str]:
    own = re.compile(rf"{re.escape(meeting.slug_base)}--\d+(-\d+)*")
    warnings = []
    for series in Series.objects.filter(slug__startswith=f"{meeting.slug_base}--", is_active=True):
        if series.slug in keep or not own.fullmatch(series.slug):
            continue
        series.is_active = False
        series.save(update_fields=["is_active", "updated_at"])
        for coming in series.meetings.filter(status=Meeting.Status.SCHEDULED, starts_at__gte=now):
            cancel_meeting(meeting=coming, reason=_no_longer_in(meeting.file_name))
        warnings.append(
            f"{series.slug}: no longer in {meeting.file_name}; deactivated, and its coming "
            "meetings cancelled."
        )
    return warnings
