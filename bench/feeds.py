"""Benchmark: build calendar feeds from the meetings in the database.

    DATABASE_URL=postgres://... .venv/bin/python manage.py seed_scale --meetings 10000
    DATABASE_URL=postgres://... .venv/bin/python bench/feeds.py

For the public feed (public meetings only) and for a feed of every meeting (what a
chair's private feed holds), prints the median build time of several runs:
- cold: nothing cached at all, not even the zones' VTIMEZONE definitions;
- after a change: the feed's body is not cached (as after any edit of a meeting), the
  zone definitions are (they depend on the zone data only, never on meetings);
- warm: the same again in the same process.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402 - needs django.setup() first

from meetings import ical  # noqa: E402
from meetings.models import Audience, Meeting  # noqa: E402

ROUNDS = 5


def build(meetings) -> bytes:
    return ical.build_calendar(
        meetings.for_calendar().order_by("starts_at", "pk"), name="LCOO meetings"
    )


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def measure(label: str, meetings) -> None:
    count = meetings.count()
    cold, changed, warm = [], [], []
    body = b""
    for _ in range(ROUNDS):
        cache.clear()
        ical.vtimezone.cache_clear()
        began = time.perf_counter()
        body = build(meetings)
        cold.append(time.perf_counter() - began)
        ical.vtimezone.cache_clear()  # a fresh process: only the shared cache holds zones
        began = time.perf_counter()
        build(meetings)
        changed.append(time.perf_counter() - began)
        began = time.perf_counter()
        build(meetings)
        warm.append(time.perf_counter() - began)
    print(
        f"{label} of {count} meetings: cold {ms(cold)}, after a change {ms(changed)}, "
        f"warm {ms(warm)} (medians of {ROUNDS}), {len(body) / 1e6:.1f} MB"
    )


def main() -> None:
    measure("public feed", Meeting.objects.filter(series__audience=Audience.PUBLIC))
    measure("feed of every meeting", Meeting.objects.all())


if __name__ == "__main__":
    main()
