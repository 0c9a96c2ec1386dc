"""Planning which of a file's schedules become one series, with its cadence and anchor."""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from meetings import rotation
from meetings.models import Series, rotation_cadence

from .parse import UTC, WEEK, WINDOW, MeetingFile, Schedule, iso_week, week_number


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
        return rotation_cadence(self)

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


def with_stored_anchor(series: Series | None, plan: SeriesPlan) -> SeriesPlan:
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
