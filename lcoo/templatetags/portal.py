"""Template helpers shared by every app: times in `<time>` elements, people, access."""

from __future__ import annotations

import calendar
import datetime
import zoneinfo

import markdown
import nh3
from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

UTC = datetime.UTC


def utc_iso(value: datetime.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_local(local: datetime.datetime, fmt: str) -> str:
    """`date_format`, but a trailing "T" is the zone's abbreviation even in the fall-back
    hour, where Django leaves it empty because the wall-clock time alone is ambiguous."""
    if fmt.endswith("T") and not fmt.endswith("\\T"):
        return date_format(local, fmt[:-1]) + (local.tzname() or "")
    return date_format(local, fmt)


@register.simple_tag
def show_time(value: datetime.datetime | None, fmt: str = "D j M Y, H:i T", zone: str = ""):
    """`<time datetime="…Z">` with the UTC instant, showing it in `zone` or the viewer's zone."""
    if value is None:
        return ""
    tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = value.astimezone(tz)
    return format_html('<time datetime="{}">{}</time>', utc_iso(value), format_local(local, fmt))


def _range_parts(
    start: datetime.datetime, end: datetime.datetime, fmt: str, zone: str
) -> tuple[str, str]:
    """Start in `fmt` and end as "H:i T", in `zone` or the viewer's zone. When a clock
    change falls inside the range, the start carries its own abbreviation too, so
    "02:30 CEST – 03:00 CET" never reads as thirty minutes."""
    tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.utcoffset() != local_end.utcoffset() and not fmt.endswith("T"):
        fmt += " T"
    return format_local(local_start, fmt), format_local(local_end, "H:i T")


@register.simple_tag
def show_range(
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    fmt: str = "l j F Y, H:i",
    zone: str = "",
):
    """A meeting's start and end, each in its own `<time datetime="…Z">`."""
    if start is None or end is None:
        return ""
    first, last = _range_parts(start, end, fmt, zone)
    return format_html(
        '<time datetime="{}">{}</time> – <time datetime="{}">{}</time>',
        utc_iso(start),
        first,
        utc_iso(end),
        last,
    )


@register.simple_tag
def time_range(
    start: datetime.datetime, end: datetime.datetime, fmt: str = "l j F Y, H:i", zone: str = ""
) -> str:
    """The same range as plain text (mail)."""
    first, last = _range_parts(start, end, fmt, zone)
    return f"{first}–{last}"


@register.simple_tag
def show_date(value: datetime.date | None, fmt: str = "j M Y", zone: str = "UTC"):
    """A calendar date in `<time datetime="…Z">`, with the UTC instant the day begins in
    `zone` (the portal's dates are UTC days unless said otherwise)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return show_time(value, fmt, zone)
    midnight = datetime.datetime.combine(value, datetime.time(0), tzinfo=zoneinfo.ZoneInfo(zone))
    return format_html('<time datetime="{}">{}</time>', utc_iso(midnight), date_format(value, fmt))


@register.simple_tag
def show_slot(slot, fmt: str = "D H:i"):
    """A rotation slot's weekday and wall-clock time (in its own zone) in `<time
    datetime="…Z">`, with the UTC instant of its next occurrence. `slot` is a meetings
    Slot or a rotation.Slot; the zone's name is for the template to add."""
    if slot is None:
        return ""
    rule = slot.as_rotation_slot() if hasattr(slot, "as_rotation_slot") else slot
    now = timezone.now()
    today = now.astimezone(zoneinfo.ZoneInfo(rule.zone)).date()
    day = today + datetime.timedelta(days=(rule.weekday - today.weekday()) % 7)
    instant = rule.at(day)
    if instant < now:
        instant = rule.at(day + datetime.timedelta(weeks=1))
    return show_time(instant, fmt, rule.zone)


@register.simple_tag
def show_slot_at(slot, instant: datetime.datetime):
    """A slot's configured weekday and wall-clock time ("Sun 02:30"), in `<time>` with
    the instant of one occurrence: on a day the clocks skip that time the occurrence is
    later, but the slot is still the one configured."""
    rule = slot.as_rotation_slot() if hasattr(slot, "as_rotation_slot") else slot
    label = f"{calendar.day_abbr[rule.weekday]} {rule.time:%H:%M}"
    return format_html('<time datetime="{}">{}</time>', utc_iso(instant), label)


@register.filter
def safe_url(value: str) -> str:
    """The URL if it is a web or mail address; empty otherwise (never `javascript:`)."""
    text = str(value or "").strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return text if scheme in ("http", "https", "mailto") else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def visible_to(person, access) -> bool:
    return access.can_see_person(person)


_MARKDOWN_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip


def render_markdown_text(text: str) -> str:
    """Markdown to HTML that is safe to show: raw HTML is escaped, then the result sanitised."""
    html = markdown.markdown(
        text or "",
        extensions=["extra", "sane_lists"],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=_MARKDOWN_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


@register.filter(name="markdown")
def markdown_filter(text: str):
    # Sanitised by nh3 in render_markdown_text (bandit B308/B703 reviewed).
    return mark_safe(render_markdown_text(text))  # nosec  # noqa: S308


@register.simple_tag
def group_short_name_setting() -> str:
    """The group's short name straight from the settings, for the pages rendered without a
    request's context (400 and 500), which must not depend on anything that could fail."""
    return settings.GROUP_SHORT_NAME
