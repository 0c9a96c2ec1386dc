"""The planner's test oracle: the same optimum by trying every k-subset (slow), scoring
each candidate with the fairness table's rules on every real instant, zone by zone (not
with the planner's shortcuts: minute tables, zones grouped by offsets and weekend)."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence

from meetings.rotation import Plan, Slot, _plan, fairness, plan_dates


def _scores_slowly(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    reference: datetime.date,
    duration: datetime.timedelta,
) -> tuple[list[list[int]], list[int], int]:
    dates = plan_dates(reference)
    night, off = [], []
    for slot in candidates:
        instants = [
            slot.at(day + datetime.timedelta(days=(slot.weekday - day.weekday()) % 7))
            for day in dates
        ]
        report = {z.zone: z for z in fairness(instants, zones, duration)}
        night.append([sum(report[name].night) for name in zones])
        off.append(sum(sum(report[name].off_hours) for name in zones))
    return night, off, len(dates)


def plan_rotation_brute_force(
    candidates: Sequence[Slot],
    zones: Sequence[str],
    k: int,
    *,
    reference: datetime.date,
    duration: datetime.timedelta = datetime.timedelta(hours=1),
) -> Plan:
    """The same optimum (night share, off-hours) as plan_rotation, by trying every k-subset."""
    zones = list(dict.fromkeys(zones))
    night, off, dates = _scores_slowly(candidates, zones, reference, duration)
    best_key, best_subset = None, None
    for subset in itertools.combinations(range(len(candidates)), k):
        worst = max((sum(night[i][z] for i in subset) for z in range(len(zones))), default=0)
        key = (worst, sum(off[i] for i in subset))
        if best_key is None or key < best_key:
            best_key, best_subset = key, subset
    return _plan(candidates, best_subset, night, off, dates, len(zones))
