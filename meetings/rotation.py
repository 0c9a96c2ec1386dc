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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

UTC = datetime.UTC
WEEK = datetime.timedelta(weeks=1)

#: Night is 22:00–07:00 local; office hours are 08:00–18:00 local on working days
#: (see `weekend`).
NIGHT_START, NIGHT_END = datetime.time(22, 0), datetime.time(7, 0)
OFFICE_START, OFFICE_END = datetime.time(8, 0), datetime.time(18, 0)


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

#: The weekend most of the world keeps: Saturday and Sunday.
DEFAULT_WEEKEND = frozenset({SAT, SUN})
#: Zones whose country keeps another weekend, by the conventions in force in 2026 (the
#: official working week of government and most offices; some businesses differ).
#: Changes worth knowing: the United Arab Emirates (Asia/Dubai) moved to Saturday–Sunday
#: in 2022, so it is not listed; Saudi Arabia did not and keeps Friday–Saturday. Zones
#: of a country that is split (Malaysia's Kelantan, Terengganu and Kedah keep
#: Friday–Saturday within Asia/Kuala_Lumpur) get the majority rule. Revisit when a
#: country changes its week, as it changes its clocks.
WEEKENDS: dict[str, frozenset[int]] = {
    **dict.fromkeys(
        [
            "Africa/Algiers",
            "Africa/Cairo",
            "Africa/Khartoum",
            "Africa/Tripoli",
            "Asia/Aden",
            "Asia/Amman",
            "Asia/Baghdad",
            "Asia/Bahrain",
            "Asia/Damascus",
            "Asia/Dhaka",
            "Asia/Gaza",
            "Asia/Hebron",
            "Asia/Jerusalem",
            "Asia/Kuwait",
            "Asia/Muscat",
            "Asia/Qatar",
            "Asia/Riyadh",
            "Indian/Maldives",
        ],
        frozenset({FRI, SAT}),
    ),
    "Asia/Kabul": frozenset({THU, FRI}),
    "Asia/Tehran": frozenset({FRI}),
    "Asia/Kathmandu": frozenset({SAT}),
    "Asia/Brunei": frozenset({FRI, SUN}),
}


def weekend(zone_name: str) -> frozenset[int]:
    """The weekdays (Monday 0) that are not working days where `zone_name` is."""
    return WEEKENDS.get(zone_name, DEFAULT_WEEKEND)


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def wall_clock_kind(day: datetime.date, time: datetime.time, zone_name: str) -> str:
    """Whether this wall-clock time exists once on `day` in the zone ("exact"), not at
    all (the spring-forward "gap") or twice (the fall-back "ambiguous" hour)."""
    tz = zone(zone_name)
    naive = datetime.datetime.combine(day, time)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return "exact"
    # In a gap, neither reading comes back to the same wall-clock time.
    if first.astimezone(tz).replace(tzinfo=None) != naive:
        return "gap"
    return "ambiguous"


@dataclass(frozen=True)
class ClockChange:
    """A change of the zone's clocks around a wall-clock time on `day`: at the instant
    `at` (UTC) the clocks went from `before` to `after` (both local wall-clock times)."""

    day: datetime.date
    zone: str
    at: datetime.datetime
    before: datetime.time
    after: datetime.time
    forward: bool

    def describe(self) -> str:
        """ "Clocks go forward from 02:00 to 03:00 on 28 March 2027 in Europe/Paris"."""
        way = "forward" if self.forward else "back"
        return (
            f"Clocks go {way} from {self.before:%H:%M} to {self.after:%H:%M} on "
            f"{self.day.day} {self.day:%B %Y} in {self.zone}"
        )


def clock_change(day: datetime.date, time: datetime.time, zone_name: str) -> ClockChange | None:
    """The clock change that makes this wall-clock time a gap or ambiguous; None when it
    happens exactly once."""
    if wall_clock_kind(day, time, zone_name) == "exact":
        return None
    tz = zone(zone_name)
    naive = datetime.datetime.combine(day, time)
    # The change lies between the two readings of the wall-clock time.
    lo, hi = sorted(naive.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    offset = lo.astimezone(tz).utcoffset()
    while hi - lo > datetime.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    at = hi.replace(microsecond=0)
    old = (at - datetime.timedelta(seconds=1)).astimezone(tz).utcoffset()
    before = (at.replace(tzinfo=None) + old).time()
    after = at.astimezone(tz).time().replace(tzinfo=None)
    forward = at.astimezone(tz).utcoffset() > old
    return ClockChange(day=day, zone=zone_name, at=at, before=before, after=after, forward=forward)


def local_instants(
    day: datetime.date, time: datetime.time, zone_name: str
) -> list[datetime.datetime]:
    """The UTC instants at which this wall-clock time happens on `day`: none (a gap), one,
    or two (the fall-back hour), earliest first."""
    tz = zone(zone_name)
    naive = datetime.datetime.combine(day, time)
    found = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        back = instant.astimezone(tz)
        if back.replace(tzinfo=None) == naive and instant not in found:
            found.append(instant)
    return sorted(found)


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


def off_hours(local_start: datetime.datetime, duration: datetime.timedelta, zone_name: str) -> bool:
    """Whether a meeting starting at `local_start` (local to `zone_name`) falls outside
    office hours there: before 08:00, after 18:00, or on a weekend day."""
    return local_start.weekday() in weekend(zone_name) or outside_office(local_start, duration)


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
                off_hours=tuple(off_hours(t, duration, name) for t in local),
            )
        )
    return report


# Planner ----------------------------------------------------------------------------

#: The planner scores a slot on one date a month for a year from the reference date, so
#: that the summer and the winter time of every zone both count (a 06:30 UTC slot is at
#: night in London in winter only).
PLAN_MONTHS = 12
#: The most slots the planner plans a rotation of. Its search is exact, and for 48
#: candidates and 100 zones it takes milliseconds up to 4 slots but grows about
#: tenfold with each slot more (bench/rotation.py prints the figures).
PLAN_MAX_SLOTS = 4

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    slots: tuple[Slot, ...]
    #: The worst zone's share of (slot, plan date) pairs at night.
    worst_night_share: float
    #: Off-hours (zone, slot) pairs over the rotation, averaged over the plan dates.
    total_off_hours: float


def plan_dates(reference: datetime.date, months: int = PLAN_MONTHS) -> list[datetime.date]:
    """One date a month from `reference`: the same day of the month, or the month's last."""
    dates = []
    for step in range(months):
        year, month = divmod(reference.year * 12 + reference.month - 1 + step, 12)
        last = calendar.monthrange(year, month + 1)[1]
        dates.append(datetime.date(year, month + 1, min(reference.day, last)))
    return dates


def _offset_minutes(tz: ZoneInfo, instant: datetime.datetime) -> int:
    return int(instant.astimezone(tz).utcoffset().total_seconds()) // 60


def _zone_offsets(
    tz: ZoneInfo,
    days: Sequence[datetime.date],
    instants: Sequence[datetime.datetime],
    day_of: Sequence[int],
) -> tuple[tuple[int | None, ...], tuple[int, ...]]:
    """The zone's UTC offset (minutes) on each UTC day, None on a day it changes; and its
    offset at each of the `instants` on such a day, in their order (`day_of` gives each
    instant's index in `days`)."""
    per_day = []
    for day in days:
        midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=UTC)
        before, after = _offset_minutes(tz, midnight), _offset_minutes(tz, midnight + DAY)
        per_day.append(before if before == after else None)
    if None not in per_day:
        return tuple(per_day), ()
    exact = tuple(
        _offset_minutes(tz, instant)
        for instant, d in zip(instants, day_of, strict=True)
        if per_day[d] is None
    )
    return tuple(per_day), exact


def _scores(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    reference: datetime.date,
    duration: datetime.timedelta,
) -> tuple[list[list[int]], list[int], int]:
    """Each candidate on every plan date: per zone, on how many dates it is at night there;
    and how many (zone, date) pairs are outside office hours. Also the number of dates.

    Zones with the same offsets at every instant and the same weekend (Paris and Berlin)
    are scored once.
    """
    dates = plan_dates(reference)
    count = len(dates)
    # Night and office hours by local start minute, by the rules the fairness table uses.
    starts = [datetime.datetime(2000, 1, 3, m // 60, m % 60, tzinfo=UTC) for m in range(1440)]
    night_at = [overlaps_night(start, duration) for start in starts]
    off_at = [outside_office(start, duration) for start in starts]
    instants = [
        slot.at(day + datetime.timedelta(days=(slot.weekday - day.weekday()) % 7))
        for slot in candidates
        for day in dates
    ]
    utc_minutes = [instant.hour * 60 + instant.minute for instant in instants]
    utc_weekdays = [instant.weekday() for instant in instants]
    instant_days = [instant.date() for instant in instants]
    days = sorted(set(instant_days))
    index_of = {day: index for index, day in enumerate(days)}
    day_of = [index_of[day] for day in instant_days]
    groups: dict[tuple, list[int]] = {}
    for index, name in enumerate(zones):
        key = (*_zone_offsets(zone(name), days, instants, day_of), weekend(name))
        groups.setdefault(key, []).append(index)
    night = [[0] * len(zones) for _ in candidates]
    off = [0] * len(candidates)
    for (per_day, exact, days_off), members in groups.items():
        on_change_days = iter(exact)
        offsets = [next(on_change_days) if per_day[d] is None else per_day[d] for d in day_of]
        # Minutes from the UTC day's midnight: below 0 or past 1440 the local day is the
        # one before or after, which matters for the weekend.
        shifted = [u + o for u, o in zip(utc_minutes, offsets, strict=True)]
        local = [s % 1440 for s in shifted]
        nights = [night_at[m] for m in local]
        offs = [
            off_at[s % 1440] or (w + s // 1440) % 7 in days_off
            for s, w in zip(shifted, utc_weekdays, strict=True)
        ]
        for c in range(len(candidates)):
            at_night = sum(nights[c * count : (c + 1) * count])
            for index in members:
                night[c][index] = at_night
            off[c] += sum(offs[c * count : (c + 1) * count]) * len(members)
    return night, off, count


def _plan(
    candidates: Sequence[Slot],
    picked: Sequence[int],
    night: list[list[int]],
    off: list[int],
    dates: int,
    zone_count: int,
) -> Plan:
    worst = max((sum(night[i][z] for i in picked) for z in range(zone_count)), default=0)
    pairs = len(picked) * dates
    return Plan(
        slots=tuple(candidates[i] for i in picked),
        worst_night_share=worst / pairs if pairs else 0.0,
        total_off_hours=sum(off[i] for i in picked) / dates,
    )


def evaluate_rotation(
    slots: Sequence[Slot],
    zones: Sequence[str],
    *,
    reference: datetime.date,
    duration: datetime.timedelta = datetime.timedelta(hours=1),
) -> Plan:
    """The planner's measures for a given rotation, to compare it with a suggestion."""
    zones = list(dict.fromkeys(zones))
    night, off, dates = _scores(slots, zones, reference, duration)
    return _plan(slots, range(len(slots)), night, off, dates, len(zones))


def plan_rotation(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    k: int,
    *,
    reference: datetime.date,
    duration: datetime.timedelta = datetime.timedelta(hours=1),
) -> Plan:
    """The k candidates that minimise the worst zone's night share, ties by total off-hours,
    with every candidate scored on the plan dates (a year, one date a month).

    Exact: a branch-and-bound search over k-subsets in order of cost. The night counts
    of all zones are packed into one integer, a field per zone with a guard bit, so
    adding a candidate is one addition and checking every zone against a bound is one
    addition and one mask, whatever the zone count. Returned slots keep the candidates'
    order. At most PLAN_MAX_SLOTS slots.
    """
    zones = list(dict.fromkeys(zones))
    if not 1 <= k <= len(candidates):
        raise ValueError(f"k must be between 1 and the number of candidates ({len(candidates)})")
    if k > PLAN_MAX_SLOTS:
        raise ValueError(f"the planner plans rotations of at most {PLAN_MAX_SLOTS} slots")
    night, off, dates = _scores(candidates, zones, reference, duration)
    picked = _best_subset(night, off, k)
    return _plan(candidates, picked, night, off, dates, len(zones))


def _best_subset(night: list[list[int]], off: list[int], k: int) -> list[int]:
    """Indexes of the k rows with the least (worst column sum of `night`, sum of `off`)."""
    zone_count = len(night[0])
    order = sorted(range(len(off)), key=lambda i: (off[i], i))
    costs = [off[i] for i in order]
    top = k * max((max(row, default=0) for row in night), default=0)
    width = top.bit_length() + 1
    guard = 1 << (width - 1)
    ones = sum(1 << (z * width) for z in range(zone_count))
    guards = ones * guard
    # Added to packed counts, over[w + 1] sets the guard bit of each field above w.
    over = [ones * (guard - 1 - w) for w in range(-1, top + 1)]
    packed = [sum(night[i][z] << (z * width) for z in range(zone_count)) for i in order]

    def above(total: int, w: int) -> bool:
        return bool((total + over[w + 1]) & guards)

    def worst_of(total: int, bound: int) -> int:
        low, high = 0, bound  # the least w in [0, bound] that no field is above
        while low < high:
            middle = (low + high) // 2
            if above(total, middle):
                low = middle + 1
            else:
                high = middle
        return low

    # cheapest[j][r]: the least cost of r candidates taken from order[j:]
    cheapest = [[0] * (k + 1) for _ in range(len(order) + 1)]
    for j in range(len(order) - 1, -1, -1):
        for r in range(1, k + 1):
            remaining = len(order) - j
            cheapest[j][r] = costs[j] + cheapest[j + 1][r - 1] if remaining >= r else 1 << 60

    # The k cheapest are the first bound to beat.
    best = [worst_of(sum(packed[:k]), top), sum(costs[:k]), list(range(k))]
    chosen: list[int] = []

    def search(start: int, total: int, cost: int) -> None:
        need = k - len(chosen)
        for j in range(start, len(costs) - need + 1):
            # With a zone already at the best worst count, only a lower cost can win, and
            # costs ascend: no later j can do better.
            if above(total, best[0] - 1) and cost + cheapest[j][need] >= best[1]:
                return
            grown = total + packed[j]
            if above(grown, best[0]):
                continue
            if need == 1:
                worst = worst_of(grown, best[0])
                if (worst, cost + costs[j]) < (best[0], best[1]):
                    best[:] = [worst, cost + costs[j], [*chosen, j]]
                continue
            chosen.append(j)
            search(j + 1, grown, cost + costs[j])
            chosen.pop()

    search(0, 0, 0)
    return sorted(order[j] for j in best[2])


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
