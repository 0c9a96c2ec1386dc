"""Template helpers shared by every app: times in `<time>` elements, people, access."""

from __future__ import annotations

import datetime
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

register = template.Library()

UTC = datetime.UTC


def utc_iso(value: datetime.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@register.simple_tag
def show_time(value: datetime.datetime | None, fmt: str = "D j M Y, H:i T", zone: str = ""):
    """`<time datetime="…Z">` with the UTC instant, showing it in `zone` or the viewer's zone."""
    if value is None:
        return ""
    tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = value.astimezone(tz)
    return format_html('<time datetime="{}">{}</time>', utc_iso(value), date_format(local, fmt))


@register.simple_tag
def show_date(value: datetime.date | None, fmt: str = "j M Y"):
    """A calendar date (no instant): `<time datetime="YYYY-MM-DD">`."""
    if value is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, fmt))


@register.filter
def visible_to(person, access) -> bool:
    return access.can_see_person(person)
