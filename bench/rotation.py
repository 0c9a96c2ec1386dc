"""Benchmark the rotation engine (no Django): expansion and planning.

    .venv/bin/python bench/rotation.py

Prints the median of several runs for: a year of 100 series × 3 rotating slots, and a
plan of 3 slots (and of the planner's cap, PLAN_MAX_SLOTS) from 48 candidates for 100
audience zones, each candidate scored on one date a month over a year.
"""

import datetime
import random
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meetings.rotation import PLAN_MAX_SLOTS, EveryNWeeks, Slot, expand, plan_rotation

UTC = datetime.UTC
ROUNDS = 7


def median_seconds(fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(ROUNDS):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    rng = random.Random(2026)  # noqa: S311 - deterministic benchmark data
    zones = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
    series = [
        (
            EveryNWeeks(anchor=datetime.date(2026, 1, 5), interval=rng.choice([1, 2, 4])),
            [
                Slot(rng.randrange(7), datetime.time(rng.randrange(24), 0), rng.choice(zones))
                for _ in range(3)
            ],
        )
        for _ in range(100)
    ]
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime.datetime(2027, 1, 1, tzinfo=UTC)

    def expand_all():
        return sum(len(expand(cadence, slots, start, end)) for cadence, slots in series)

    seconds, count = median_seconds(expand_all)
    print(f"expand: 100 series x 3 slots, one year: {count} occurrences in {seconds * 1000:.1f} ms")

    candidates = [
        Slot(1, datetime.time(h, m), "UTC") for h in range(24) for m in (0, 30)
    ]  # 48 half-hour candidates
    audience = rng.sample(zones, 100)
    # 3 slots, as the group's rotations across Asia, Europe and the Americas; and the cap.
    for k in sorted({3, PLAN_MAX_SLOTS}):
        seconds, plan = median_seconds(
            lambda k=k: plan_rotation(candidates, audience, k, reference=datetime.date(2026, 1, 5))
        )
        print(
            f"plan: {k} of 48 candidates for 100 zones in {seconds * 1000:.1f} ms "
            f"(worst night share {plan.worst_night_share:.2f}, "
            f"off-hours {plan.total_off_hours:.1f}: " + ", ".join(str(s) for s in plan.slots) + ")"
        )


if __name__ == "__main__":
    main()
