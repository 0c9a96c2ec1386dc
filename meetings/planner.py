"""The planner's suggestion beside a series' rotation, kept in the cache."""

from __future__ import annotations

import datetime
import hashlib

from django.core.cache import cache

from members.models import Company, Person

from . import rotation


def audience_zones() -> list[str]:
    """Headquarters zones of the member companies, then their people's zones."""
    members = Company.objects.members()
    zones = list(members.exclude(hq_timezone="").values_list("hq_timezone", flat=True))
    zones += list(
        Person.objects.filter(company__in=members, is_active=True)
        .order_by("time_zone")
        .values_list("time_zone", flat=True)
        .distinct()
    )
    return list(dict.fromkeys(zones))


PLANNER_CACHE_SECONDS = 3600


def planner_candidates(weekday: int) -> list[rotation.Slot]:
    """Every half hour (UTC) of the weekday: the times the planner chooses from."""
    return [
        rotation.Slot(weekday, datetime.time(hour, minute), "UTC")
        for hour in range(24)
        for minute in (0, 30)
    ]


def planner_cache_key(
    *,
    slots: list[rotation.Slot],
    zones: list[str],
    duration: datetime.timedelta,
    reference: datetime.date,
) -> str:
    material = repr(
        (
            [(slot.zone, slot.weekday, slot.time.isoformat()) for slot in slots],
            list(zones),
            len(slots),
            duration // datetime.timedelta(minutes=1),
            reference.isoformat(),
        )
    )
    return "meetings:planner:" + hashlib.sha256(material.encode()).hexdigest()


def planner_comparison(
    *,
    slots: list[rotation.Slot],
    zones: list[str],
    duration: datetime.timedelta,
    reference: datetime.date,
) -> dict:
    """The series' rotation beside the planner's best rotation of as many half-hour slots
    on its first slot's weekday, both scored over a year from `reference`.

    The answer is kept in the cache for an hour under the slots (zone, weekday, time),
    the audience zones, k, the meeting length and the day: the exact search takes tens
    of milliseconds, and every logged-in view of a series page asks for it. A rotation
    of more than rotation.PLAN_MAX_SLOTS slots gets no suggestion.
    """
    k = len(slots)
    key = planner_cache_key(slots=slots, zones=zones, duration=duration, reference=reference)
    result = cache.get(key)
    if result is None:
        current = rotation.evaluate_rotation(slots, zones, reference=reference, duration=duration)
        suggestion = None
        if k <= rotation.PLAN_MAX_SLOTS:
            suggestion = rotation.plan_rotation(
                planner_candidates(slots[0].weekday),
                zones,
                k,
                reference=reference,
                duration=duration,
            )
        result = {"current_plan": current, "suggested_plan": suggestion}
        cache.set(key, result, PLANNER_CACHE_SECONDS)
    return {**result, "planner_zones": zones, "planner_max_slots": rotation.PLAN_MAX_SLOTS}
