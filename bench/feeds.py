"""Benchmark: build the public calendar feed for the meetings in the database.

    DATABASE_URL=postgres://... .venv/bin/python manage.py seed_scale --meetings 10000
    DATABASE_URL=postgres://... .venv/bin/python bench/feeds.py

Prints the cold build time (no cached VTIMEZONE, no cached body) and the warm one, as
medians of several runs, and the feed's size.
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

from meetings import ical  # noqa: E402 - needs django.setup() first
from meetings.models import Audience, Meeting  # noqa: E402

ROUNDS = 5


def build() -> bytes:
    meetings = (
        Meeting.objects.filter(series__audience=Audience.PUBLIC)
        .for_calendar()
        .order_by("starts_at", "pk")
    )
    return ical.build_calendar(meetings, name="LCOO meetings")


def main() -> None:
    count = Meeting.objects.filter(series__audience=Audience.PUBLIC).count()
    cold, warm = [], []
    body = b""
    for _ in range(ROUNDS):
        ical.vtimezone.cache_clear()
        began = time.perf_counter()
        body = build()
        cold.append(time.perf_counter() - began)
        began = time.perf_counter()
        build()
        warm.append(time.perf_counter() - began)
    print(
        f"public feed of {count} meetings: cold {statistics.median(cold) * 1000:.0f} ms, "
        f"warm {statistics.median(warm) * 1000:.0f} ms (median of {ROUNDS}), "
        f"{len(body) / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
