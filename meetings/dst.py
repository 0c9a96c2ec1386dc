"""Warnings of coming daylight-saving changes that move a slot's local time in a
member company's zone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from members.models import Company
from members.permissions import Access

from . import rotation
from .models import Series


@dataclass(frozen=True)
class DstWarning:
    """The slot's local time in the company's zone moves at `change_at`: from `before`
    (weekday and time there, the week before) to `after` (the day after); `before_at` and
    `after_at` are those occurrences' instants."""

    company: str
    zone: str
    change_at: datetime.datetime
    slot: rotation.Slot
    before: str
    after: str
    before_at: datetime.datetime
    after_at: datetime.datetime


def dst_warnings(
    *,
    series: Series,
    now: datetime.datetime | None = None,
    weeks: int = 8,
    companies: list[tuple[str, str]] | None = None,
) -> list[DstWarning]:
    """Coming DST changes that move a slot's local time in a member company's zone.

    A slot keeps its wall-clock time in its own zone; in another zone it moves when
    either zone changes its offset (Paris in March, Sydney in April, and so on).
    """
    now = now or timezone.now()
    end = now + datetime.timedelta(weeks=weeks)
    slots = series.rotation_slots()
    changes_by_zone: dict[str, list[datetime.datetime]] = {}

    def changes(zone: str) -> list[datetime.datetime]:
        if zone not in changes_by_zone:
            changes_by_zone[zone] = list(rotation.iter_dst_changes(zone, now, end))
        return changes_by_zone[zone]

    if companies is None:
        companies = list(
            Company.objects.members().exclude(hq_timezone="").values_list("name", "hq_timezone")
        )
    warnings = {}
    for company, zone in companies:
        for slot in slots:
            for change in sorted(set(changes(zone)) | set(changes(slot.zone))):
                before_at = _slot_instant(slot, (change - datetime.timedelta(days=7)).date())
                after_at = _slot_instant(slot, (change + datetime.timedelta(days=1)).date())
                before, after = (_local_label(t, zone) for t in (before_at, after_at))
                if before != after:
                    warnings[(company, change, str(slot))] = DstWarning(
                        company=company,
                        zone=zone,
                        change_at=change,
                        slot=slot,
                        before=before,
                        after=after,
                        before_at=before_at,
                        after_at=after_at,
                    )
    return sorted(warnings.values(), key=lambda w: (w.change_at, w.company, str(w.slot)))


def dst_warnings_for_series_visible_to(
    access: Access, *, now: datetime.datetime | None = None
) -> list[tuple[Series, list[DstWarning]]]:
    """The coming DST warnings of every active series `access` may see (the dashboard)."""
    result = []
    companies = list(
        Company.objects.members().exclude(hq_timezone="").values_list("name", "hq_timezone")
    )
    for series in Series.objects.active().visible_to(access).prefetch_related("slots"):
        warnings = dst_warnings(series=series, now=now, companies=companies)
        if warnings:
            result.append((series, warnings))
    return result


def _slot_instant(slot: rotation.Slot, near: datetime.date) -> datetime.datetime:
    """The slot's first occurrence on or after `near` (UTC)."""
    return slot.at(near + datetime.timedelta(days=(slot.weekday - near.weekday()) % 7))


def _local_label(instant: datetime.datetime, zone: str) -> str:
    """Weekday and time in `zone`: "Tue 14:00"."""
    return instant.astimezone(rotation.zone(zone)).strftime("%a %H:%M")


@dataclass(frozen=True)
class SlotClockNote:
    """A date on which a slot's wall-clock time does not exist ("gap") or happens twice
    ("ambiguous") in its zone, and when the rotation holds the meeting then (`held_at`)."""

    slot: rotation.Slot
    day: datetime.date
    kind: str
    held_at: datetime.datetime

    @property
    def text(self) -> str:
        change = rotation.clock_change(self.day, self.slot.time, self.slot.zone)
        local = self.held_at.astimezone(rotation.zone(self.slot.zone))
        held = f"{local:%H:%M} {local.tzname()} ({self.held_at:%H:%M} UTC)"
        if self.kind == "gap":
            # Slot.at reads a skipped time with the offset from before the change.
            return (
                f"{change.describe()}: {self.slot.time:%H:%M} does not exist that day, so "
                f"the meeting is held at {held}, later by the time skipped."
            )
        return (
            f"{change.describe()}: {self.slot.time:%H:%M} happens twice that day, so the "
            f"meeting is held at the first, {held}."
        )


def slot_clock_notes(
    occurrences: list[rotation.Occurrence], slots: list[rotation.Slot]
) -> list[SlotClockNote]:
    """The occurrences whose slot time the clocks skip or repeat on their date."""
    notes = []
    for occurrence in occurrences:
        slot = slots[occurrence.slot_index]
        # A skipped time is held later the same day, so the local date is the slot's date.
        day = occurrence.start.astimezone(rotation.zone(slot.zone)).date()
        kind = rotation.wall_clock_kind(day, slot.time, slot.zone)
        if kind != "exact":
            notes.append(SlotClockNote(slot=slot, day=day, kind=kind, held_at=occurrence.start))
    return notes


def series_clock_notes(
    series: Series, *, now: datetime.datetime, until: datetime.datetime
) -> list[SlotClockNote]:
    """The series' dates from `now` to `until` (its horizon) whose slot time the clocks
    skip or repeat."""
    slots = series.rotation_slots()
    if not slots:
        return []
    return slot_clock_notes(rotation.expand(series.rotation_cadence(), slots, now, until), slots)
