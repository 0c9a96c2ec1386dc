"""Rotation and fairness arithmetic: plain Python, no Django.

A series meets on a cadence (every N weeks, the Nth weekday of every N months, or on
explicit dates) and rotates through an ordered list of slots: occurrence k uses slot
k mod n. A slot is a wall-clock time on a weekday in a named IANA zone, so it keeps its
local time across daylight-saving changes; its UTC instant is computed per date, in the
slot's own zone. Nothing here uses a fixed UTC offset.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

UTC = datetime.UTC
WEEK = datetime.timedelta(weeks=1)

#: Night is 22:00–07:00 local; office hours are 08:00–18:00 local.
NIGHT_START, NIGHT_END = datetime.time(22, 0), datetime.time(7, 0)
OFFICE_START, OFFICE_END = datetime.time(8, 0), datetime.time(18, 0)


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, order=True)
class Slot:
    """A wall-clock time on a weekday (0 = Monday) in an IANA zone."""

    weekday: int
    time: datetime.time
    zone: str

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        zone(self.zone)  # raises ZoneInfoNotFoundError for an unknown zone

    def at(self, day: datetime.date) -> datetime.datetime:
        """The UTC instant of this slot's wall-clock time on `day` (a date in its zone).

        A time that does not exist that day (the spring-forward gap) moves forward by the
        gap, as clocks do; an ambiguous one (fall-back) is its first occurrence.
        """
        local = datetime.datetime.combine(day, self.time, tzinfo=zone(self.zone))
        return local.astimezone(UTC)

    def __str__(self) -> str:
        return f"{calendar.day_abbr[self.weekday]} {self.time:%H:%M} {self.zone}"


@dataclass(frozen=True)
class Occurrence:
    index: int  # k: the k-th meeting of the cadence since its anchor
    slot_index: int  # k mod n
    start: datetime.datetime  # aware, UTC


class Cadence:
    """Which local date occurrence k falls on, for a given slot."""

    def date_for(self, k: int, slot: Slot) -> datetime.date | None:
        raise NotImplementedError

    def first_index_from(self, day: datetime.date) -> int:
        """A k whose date is not long after `day` (a safe place to start searching)."""
        raise NotImplementedError

    def count(self) -> int | None:
        """How many occurrences there are in all, or None for an endless cadence."""
        return None


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class EveryNWeeks(Cadence):
    """Every `interval` weeks; occurrence 0 is in the week (Monday–Sunday) of `anchor`."""

    anchor: datetime.date
    interval: int = 1

    def __post_init__(self) -> None:
        if self.interval < 1:
            raise ValueError("interval must be at least one week")

    def date_for(self, k: int, slot: Slot) -> datetime.date:
        return (
            monday_of(self.anchor)
            + (k * self.interval) * WEEK
            + datetime.timedelta(days=slot.weekday)
        )

    def first_index_from(self, day: datetime.date) -> int:
        weeks = (monday_of(day) - monday_of(self.anchor)).days // 7
        return max(0, weeks // self.interval - 1)


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> datetime.date | None:
    """The `ordinal`-th (1–5, or -1 for last) `weekday` of a month; None if there is none."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    if ordinal == -1:
        return days[-1]
    return days[ordinal - 1] if ordinal <= len(days) else None


@dataclass(frozen=True)
class MonthlyNthWeekday(Cadence):
    """The `ordinal`-th (or last, -1) slot weekday of every `interval` months from `anchor`."""

    anchor: datetime.date
    ordinal: int = 1
    interval: int = 1

    def __post_init__(self) -> None:
        if self.ordinal not in (1, 2, 3, 4, 5, -1):
            raise ValueError("ordinal must be 1 to 5, or -1 for the last")
        if self.interval < 1:
            raise ValueError("interval must be at least one month")

    def date_for(self, k: int, slot: Slot) -> datetime.date | None:
        months = self.anchor.year * 12 + self.anchor.month - 1 + k * self.interval
        return nth_weekday(months // 12, months % 12 + 1, slot.weekday, self.ordinal)

    def first_index_from(self, day: datetime.date) -> int:
        months = (day.year - self.anchor.year) * 12 + day.month - self.anchor.month
        return max(0, months // self.interval - 1)


@dataclass(frozen=True)
class ExplicitDates(Cadence):
    """Meetings on listed dates (in each slot's zone): Executive Board meetings."""

    dates: tuple[datetime.date, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dates", tuple(sorted(set(self.dates))))

    def date_for(self, k: int, slot: Slot) -> datetime.date | None:
        return self.dates[k] if 0 <= k < len(self.dates) else None

    def first_index_from(self, day: datetime.date) -> int:
        earlier = [d for d in self.dates if d < day - WEEK]
        return len(earlier)

    def count(self) -> int:
        return len(self.dates)


def occurrence(cadence: Cadence, slots: Sequence[Slot], k: int) -> Occurrence | None:
    if not slots:
        raise ValueError("a series needs at least one slot")
    slot_index = k % len(slots)
    day = cadence.date_for(k, slots[slot_index])
    if day is None:
        return None
    return Occurrence(index=k, slot_index=slot_index, start=slots[slot_index].at(day))


def expand(
    cadence: Cadence,
    slots: Sequence[Slot],
    start: datetime.datetime,
    end: datetime.datetime,
) -> list[Occurrence]:
    """Every occurrence with start <= instant < end, in order of k."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    # A slot's local date can be a day either side of its UTC date; search from a week early.
    k = cadence.first_index_from((start - WEEK).astimezone(UTC).date())
    total = cadence.count()
    found = []
    # Dates grow with k, give or take a day or two between slots in far-apart zones.
    horizon = end + 2 * WEEK
    while total is None or k < total:
        occ = occurrence(cadence, slots, k)
        k += 1
        if occ is None:  # e.g. a month without a fifth Tuesday
            continue
        if occ.start >= horizon:
            break
        if start <= occ.start < end:
            found.append(occ)
    return found


# Fairness ---------------------------------------------------------------------------


def _minutes(t: datetime.time) -> int:
    return t.hour * 60 + t.minute


def overlaps_night(local_start: datetime.datetime, duration: datetime.timedelta) -> bool:
    """Whether any minute of [start, start + duration) is between 22:00 and 07:00 local."""
    begin = _minutes(local_start.time())
    end = begin + int(duration.total_seconds() // 60)
    # Minutes from local midnight: night is [0, 07:00) and [22:00, 07:00 next day); a
    # meeting starts before midnight, so it touches night iff it starts before 07:00 or
    # runs past 22:00.
    return begin < _minutes(NIGHT_END) or end > _minutes(NIGHT_START)


def outside_office(local_start: datetime.datetime, duration: datetime.timedelta) -> bool:
    """Whether the meeting starts before 08:00 or ends after 18:00 local."""
    begin = _minutes(local_start.time())
    end = begin + int(duration.total_seconds() // 60)
    return begin < _minutes(OFFICE_START) or end > _minutes(OFFICE_END)


@dataclass(frozen=True)
class ZoneFairness:
    zone: str
    local_times: tuple[datetime.datetime, ...]
    night: tuple[bool, ...]
    off_hours: tuple[bool, ...]

    @property
    def night_share(self) -> float:
        return sum(self.night) / len(self.night) if self.night else 0.0

    @property
    def off_hours_share(self) -> float:
        return sum(self.off_hours) / len(self.off_hours) if self.off_hours else 0.0


def fairness(
    instants: Sequence[datetime.datetime],
    zones: Iterable[str],
    duration: datetime.timedelta,
) -> list[ZoneFairness]:
    """For each zone: the local time of every instant, and which fall at night or off-hours."""
    report = []
    for name in dict.fromkeys(zones):
        local = tuple(instant.astimezone(zone(name)) for instant in instants)
        report.append(
            ZoneFairness(
                zone=name,
                local_times=local,
                night=tuple(overlaps_night(t, duration) for t in local),
                off_hours=tuple(outside_office(t, duration) for t in local),
            )
        )
    return report


# Planner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    slots: tuple[Slot, ...]
    worst_night_share: float
    total_off_hours: int  # off-hours (zone, slot) pairs over the rotation


def _masks(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    reference: datetime.date,
    duration: datetime.timedelta,
) -> tuple[list[int], list[int]]:
    """Per candidate: a bit per zone set when the slot is at night there, and its off-hours count.

    Each candidate is evaluated at its first date on or after `reference`.
    """
    night_masks, off_counts = [], []
    for slot in candidates:
        day = reference + datetime.timedelta(days=(slot.weekday - reference.weekday()) % 7)
        instant = slot.at(day)
        mask = off = 0
        for bit, name in enumerate(zones):
            local = instant.astimezone(zone(name))
            if overlaps_night(local, duration):
                mask |= 1 << bit
            off += outside_office(local, duration)
        night_masks.append(mask)
        off_counts.append(off)
    return night_masks, off_counts


def evaluate_rotation(
    slots: Sequence[Slot],
    zones: Sequence[str],
    *,
    reference: datetime.date,
    duration: datetime.timedelta = datetime.timedelta(hours=1),
) -> Plan:
    """The planner's measures for a given rotation, to compare it with a suggestion."""
    zones = list(dict.fromkeys(zones))
    night, off = _masks(slots, zones, reference, duration)
    worst = max((sum(mask >> bit & 1 for mask in night) for bit in range(len(zones))), default=0)
    return Plan(
        slots=tuple(slots),
        worst_night_share=worst / len(slots) if slots else 0.0,
        total_off_hours=sum(off),
    )


def plan_rotation(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    k: int,
    *,
    reference: datetime.date,
    duration: datetime.timedelta = datetime.timedelta(hours=1),
) -> Plan:
    """The k candidates that minimise the worst zone's night share, ties by total off-hours.

    Exact: for each possible worst night count w = 0..k it runs a branch-and-bound search
    for the cheapest k-subset in which no zone is at night more than w times; the first w
    with a solution is optimal. Night counts per zone are kept as bit-sliced counters over
    the zones, so checking a subset costs a few integer operations, whatever the zone count.
    Returned slots keep the candidates' order.
    """
    zones = list(dict.fromkeys(zones))
    if not 1 <= k <= len(candidates):
        raise ValueError(f"k must be between 1 and the number of candidates ({len(candidates)})")
    night, off = _masks(candidates, zones, reference, duration)
    order = sorted(range(len(candidates)), key=lambda i: (off[i], i))
    costs = [off[i] for i in order]
    # cheapest[j][r]: the least cost of r candidates taken from order[j:]
    suffix = [[0] * (k + 1) for _ in range(len(order) + 1)]
    for j in range(len(order) - 1, -1, -1):
        for r in range(1, k + 1):
            remaining = len(order) - j
            suffix[j][r] = costs[j] + suffix[j + 1][r - 1] if remaining >= r else 1 << 60

    ordered_night = [night[i] for i in order]
    for worst in range(k + 1):
        found = _cheapest_subset(ordered_night, costs, suffix, k, worst)
        if found is not None:
            cost, positions = found
            picked = sorted(order[j] for j in positions)
            return Plan(
                slots=tuple(candidates[i] for i in picked),
                worst_night_share=worst / k,
                total_off_hours=cost,
            )
    raise AssertionError("unreachable: w = k always admits a solution")


def _cheapest_subset(
    night: Sequence[int], costs: Sequence[int], suffix: list[list[int]], k: int, worst: int
) -> tuple[int, list[int]] | None:
    """Least-cost k positions (costs ascending) with no zone at night over `worst` times."""
    best_cost = 1 << 60
    best: list[int] | None = None
    chosen: list[int] = []

    def search(start: int, counters: list[int], cost: int) -> None:
        nonlocal best_cost, best
        need = k - len(chosen)
        if need == 0:
            if cost < best_cost:
                best_cost, best = cost, list(chosen)
            return
        for j in range(start, len(costs) - need + 1):
            if cost + suffix[j][need] >= best_cost:
                return  # costs ascend: no later j can do better
            # counters[c]: bit set for each zone whose night count is at least c + 1
            updated = list(counters)
            carry = night[j]
            for c in range(len(updated)):
                updated[c], carry = updated[c] | carry, updated[c] & carry
            if carry or (worst < len(updated) and updated[worst]):
                continue
            chosen.append(j)
            search(j + 1, updated, cost + costs[j])
            chosen.pop()

    search(0, [0] * k, 0)
    return None if best is None else (best_cost, best)


def plan_rotation_brute_force(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    k: int,
    *,
    reference: datetime.date,
    duration: datetime.timedelta = datetime.timedelta(hours=1),
) -> Plan:
    """The same optimum (night share, off-hours) by trying every k-subset; for tests only."""
    zones = list(dict.fromkeys(zones))
    night, off = _masks(candidates, zones, reference, duration)
    best_key, best_subset = None, None
    for subset in itertools.combinations(range(len(candidates)), k):
        worst = max(
            (sum(night[i] >> bit & 1 for i in subset) for bit in range(len(zones))), default=0
        )
        key = (worst, sum(off[i] for i in subset))
        if best_key is None or key < best_key:
            best_key, best_subset = key, subset
    return Plan(
        slots=tuple(candidates[i] for i in best_subset),
        worst_night_share=best_key[0] / k,
        total_off_hours=best_key[1],
    )


def iter_dst_changes(
    zone_name: str, start: datetime.datetime, end: datetime.datetime
) -> Iterator[datetime.datetime]:
    """UTC instants in [start, end) at which the zone's UTC offset changes (hour resolution)."""
    tz = zone(zone_name)
    step = datetime.timedelta(days=1)
    t = start.astimezone(UTC)
    offset = t.astimezone(tz).utcoffset()
    while t < end:
        nxt = t + step
        new = nxt.astimezone(tz).utcoffset()
        if new != offset:
            lo, hi = t, nxt  # the change lies in (lo, hi]; narrow to the hour
            while hi - lo > datetime.timedelta(hours=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            yield hi.replace(minute=0, second=0, microsecond=0)
            offset = new
        t = nxt
