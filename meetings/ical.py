"""iCalendar (RFC 5545) output: one VEVENT per meeting, the same in feeds and mails.

Every event carries the meeting's permanent UID, its SEQUENCE (grows on every change
of time, place or status), DTSTART/DTEND in the slot's own zone with a matching
VTIMEZONE, and STATUS:CANCELLED for a cancelled meeting, which stays in the feed.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event, Timezone

from .models import Meeting

PRODID = "-//LCOO Portal//Meetings//EN"
REFRESH = datetime.timedelta(hours=1)
DESCRIPTION_AGENDA_CHARS = 1500


def uid_for(meeting: Meeting) -> str:
    """Stable forever: the meeting's own UUID, never its title or date."""
    return f"{meeting.uid}@{urlsplit(settings.SITE_URL).hostname or 'lcoo-portal'}"


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


def event_for(meeting: Meeting, *, include_location: bool) -> Event:
    """The VEVENT of one meeting. `include_location` only for people allowed to see the link."""
    zone = zoneinfo.ZoneInfo(meeting.slot_zone)
    page_url = settings.SITE_URL + meeting.get_absolute_url()
    event = Event()
    event.add("uid", uid_for(meeting))
    event.add("sequence", meeting.revision)
    event.add("dtstamp", meeting.updated_at.astimezone(datetime.UTC))
    event.add("last-modified", meeting.updated_at.astimezone(datetime.UTC))
    event.add("created", meeting.created_at.astimezone(datetime.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    event.add("description", _description(meeting, page_url))
    event.add("url", page_url)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    event.add("class", "PRIVATE" if meeting.is_board else "PUBLIC")
    event.add("transp", "OPAQUE")
    link = meeting.effective_conference_link
    if include_location and link:
        event.add("location", link)
    return event


#: Every VTIMEZONE of a zone covers the same span, so a client that caches zones by TZID
#: (as several do) gets the same definition from every feed and mail.
VTIMEZONE_SPAN = (datetime.date(2000, 1, 1), datetime.date(2045, 12, 31))


@lru_cache(maxsize=512)
def _vtimezone(name: str) -> Timezone:
    # Building a VTIMEZONE walks the zone's transitions: do it once per zone.
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
    return component


def build_calendar(
    meetings: Iterable[Meeting],
    *,
    name: str,
    include_location: Callable[[Meeting], bool] = lambda meeting: False,
    method: str | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    zones: set[str] = set()
    events = []
    for meeting in meetings:
        events.append(event_for(meeting, include_location=include_location(meeting)))
        if meeting.slot_zone != "UTC":
            zones.add(meeting.slot_zone)
    for zone in sorted(zones):
        calendar.add_component(_vtimezone(zone))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()
