"""iCalendar (RFC 5545) output: one VEVENT per meeting, the same in feeds and mails.

Every event carries the meeting's permanent UID, its SEQUENCE (grows on every change
of time, place or status), DTSTART/DTEND in the slot's own zone with a matching
VTIMEZONE, and STATUS:CANCELLED for a cancelled meeting, which stays in the feed.

icalendar builds the VTIMEZONE components and does the TEXT escaping and line folding;
the event lines themselves are written here, because building a component object per
property made a feed of 10,000 meetings take seconds.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Timezone, vText

from . import rotation
from .models import Meeting

PRODID = "-//LCOO Portal//Meetings//EN"
DESCRIPTION_AGENDA_CHARS = 1500
CRLF = "\r\n"

#: Every VTIMEZONE of a zone covers the same span, so a client that caches zones by TZID
#: (as several do) gets the same definition from every feed and mail.
VTIMEZONE_SPAN = (datetime.date(2000, 1, 1), datetime.date(2045, 12, 31))


def uid_for(meeting: Meeting) -> str:
    """Stable forever: the meeting's own UUID, never its title or date."""
    return f"{meeting.uid}@{urlsplit(settings.SITE_URL).hostname or 'lcoo-portal'}"


@lru_cache(maxsize=512)
def vtimezone(name: str) -> str:
    """The zone's VTIMEZONE, built once per process (it walks the zone's transitions)."""
    first, last = VTIMEZONE_SPAN
    component = Timezone.from_tzinfo(
        zoneinfo.ZoneInfo(name), tzid=name, first_date=first, last_date=last
    )
    # One RDATE per line rather than one long folded list: some readers (vobject among
    # them) misread transitions from a list folded across lines.
    for sub in component.subcomponents:
        if "RDATE" in sub:
            values = sub["RDATE"] if isinstance(sub["RDATE"], list) else [sub["RDATE"]]
            dates = [d.dt for value in values for d in value.dts]
            del sub["RDATE"]
            for date in dates:
                sub.add("rdate", date)
    return component.to_ical().decode()


def _text(value: str) -> str:
    """A TEXT value, escaped by icalendar (backslash, semicolon, comma, newline)."""
    return vText(value).to_ical().decode()


def _line(name: str, value: str) -> str:
    """One content line, folded at 75 octets (RFC 5545, 3.1), never between an escaping
    backslash and the character it escapes, nor inside a UTF-8 character."""
    line = f"{name}:{value}"
    if len(line) <= 75 and line.isascii():
        return line + CRLF
    data = line.encode()
    pieces, start, limit = [], 0, 75
    while len(data) - start > limit:
        end = start + limit
        while end > start and (data[end] & 0xC0) == 0x80:  # a UTF-8 continuation byte
            end -= 1
        backslashes = 0
        while end - backslashes - 1 >= start and data[end - backslashes - 1] == 0x5C:
            backslashes += 1
        if backslashes % 2:
            end -= 1
        pieces.append(data[start:end])
        start, limit = end, 74
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode() + CRLF


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _description(meeting: Meeting, page_url: str) -> str:
    parts = []
    if meeting.is_cancelled:
        parts.append(f"Cancelled. {meeting.cancel_reason}".strip())
    agenda = meeting.agenda.strip()
    if agenda:
        if len(agenda) > DESCRIPTION_AGENDA_CHARS:
            agenda = agenda[:DESCRIPTION_AGENDA_CHARS].rsplit("\n", 1)[0] + "\n…"
        parts.append(f"Agenda:\n{agenda}")
    parts.append(f"Meeting page: {page_url}")
    return "\n\n".join(parts)


class _Pages:
    """Meeting page URLs without a reverse() per meeting."""

    def __init__(self) -> None:
        self.template = settings.SITE_URL + reverse("meetings:detail", args=[987654321])

    def __call__(self, meeting: Meeting) -> str:
        return self.template.replace("987654321", str(meeting.pk))


def event(meeting: Meeting, *, include_location: bool, pages: _Pages | None = None) -> str:
    """The VEVENT of one meeting. `include_location` only for people allowed to see the link."""
    pages = pages or _Pages()
    zone_name = meeting.slot_zone
    zone = rotation.zone(zone_name)  # cached: ZoneInfo's own cache holds only a few zones
    page_url = pages(meeting)
    if zone_name == "UTC":
        start, end = f"DTSTART:{_utc(meeting.starts_at)}", f"DTEND:{_utc(meeting.ends_at)}"
    else:
        local = "%Y%m%dT%H%M%S"
        start = f"DTSTART;TZID={zone_name}:{meeting.starts_at.astimezone(zone).strftime(local)}"
        end = f"DTEND;TZID={zone_name}:{meeting.ends_at.astimezone(zone).strftime(local)}"
    parts = [
        "BEGIN:VEVENT" + CRLF,
        _line("UID", uid_for(meeting)),
        _line("SEQUENCE", str(meeting.revision)),
        _line("DTSTAMP", _utc(meeting.updated_at)),
        _line("LAST-MODIFIED", _utc(meeting.updated_at)),
        _line("CREATED", _utc(meeting.created_at)),
        start + CRLF,
        end + CRLF,
        _line("SUMMARY", _text(meeting.title)),
        _line("DESCRIPTION", _text(_description(meeting, page_url))),
        _line("URL", page_url),
        _line("STATUS", "CANCELLED" if meeting.is_cancelled else "CONFIRMED"),
        _line("CLASS", "PRIVATE" if meeting.is_board else "PUBLIC"),
        "TRANSP:OPAQUE" + CRLF,
    ]
    link = meeting.effective_conference_link
    if include_location and link:
        parts.append(_line("LOCATION", _text(link)))
    parts.append("END:VEVENT" + CRLF)
    return "".join(parts)


def build_calendar(
    meetings: Iterable[Meeting],
    *,
    name: str,
    include_location: Callable[[Meeting], bool] = lambda meeting: False,
    method: str | None = None,
) -> bytes:
    pages = _Pages()
    zones: set[str] = set()
    events = []
    for meeting in meetings:
        events.append(event(meeting, include_location=include_location(meeting), pages=pages))
        if meeting.slot_zone != "UTC":
            zones.add(meeting.slot_zone)
    head = [
        "BEGIN:VCALENDAR" + CRLF,
        "VERSION:2.0" + CRLF,
        _line("PRODID", PRODID),
        "CALSCALE:GREGORIAN" + CRLF,
    ]
    if method:
        head.append(_line("METHOD", method))
    head += [
        _line("X-WR-CALNAME", _text(name)),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H" + CRLF,
        "X-PUBLISHED-TTL:PT1H" + CRLF,
    ]
    body = "".join(head + [vtimezone(zone) for zone in sorted(zones)] + events)
    return (body + "END:VCALENDAR" + CRLF).encode()
