"""The planner's test oracle: the same optimum by trying every k-subset (slow)."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence

from meetings.rotation import Plan, Slot, _plan, _scores


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
    night, off, dates = _scores(candidates, zones, reference, duration)
    best_key, best_subset = None, None
    for subset in itertools.combinations(range(len(candidates)), k):
        worst = max((sum(night[i][z] for i in subset) for z in range(len(zones))), default=0)
        key = (worst, sum(off[i] for i in subset))
        if best_key is None or key < best_key:
            best_key, best_subset = key, subset
    return _plan(candidates, best_subset, night, off, dates, len(zones))
