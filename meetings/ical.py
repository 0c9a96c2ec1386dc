"""iCalendar (RFC 5545) output: one VEVENT per meeting, the same in feeds and mails.

Every event carries the meeting's permanent UID, its SEQUENCE (grows on every change
of time, place or status), DTSTART/DTEND in the slot's own zone with a matching
VTIMEZONE, and STATUS:CANCELLED for a cancelled meeting, which stays in the feed.

The VTIMEZONE components and the event lines are written here, not built with
icalendar's components: a component object per property made a feed of 10,000 meetings
take seconds, and a zone 20 ms. For the same reason a feed reads its meetings as plain
rows, not model instances (`build_calendar` given a queryset).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import zoneinfo
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, Func, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse

from . import rotation
from .models import Audience, Meeting

DESCRIPTION_AGENDA_CHARS = 1500


def prodid() -> str:
    """Who made the calendar (RFC 5545 PRODID): the group's portal."""
    return f"-//{settings.GROUP_SHORT_NAME} Portal//Meetings//EN"


CRLF = "\r\n"


def _zone_data_version() -> str:
    """The IANA release zoneinfo reads (the system's zone files first, as zoneinfo does,
    else the tzdata package), so that a new release builds new VTIMEZONEs."""
    for folder in zoneinfo.TZPATH:
        try:
            with open(Path(folder) / "tzdata.zi", encoding="utf-8") as index:
                return index.readline().removeprefix("# version").strip()
        except OSError:
            continue
    try:
        return importlib.metadata.version("tzdata")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


_ZONE_DATA_VERSION = _zone_data_version()

#: Every VTIMEZONE of a zone covers the same span, so a client that caches zones by TZID
#: (as several do) gets the same definition from every feed and mail.
VTIMEZONE_SPAN = (datetime.date(2000, 1, 1), datetime.date(2045, 12, 31))


def uid_for(meeting: Meeting) -> str:
    """Stable forever: the meeting's own UUID, never its title or date."""
    return f"{meeting.uid}@{_uid_host(settings.SITE_URL)}"


@lru_cache(maxsize=4)
def _uid_host(site_url: str) -> str:
    return urlsplit(site_url).hostname or "lcoo-portal"


@lru_cache(maxsize=512)
def vtimezone(name: str) -> str:
    """The zone's VTIMEZONE. Building one walks the zone's transitions over the span (tens
    of milliseconds), so it is built once for all processes: kept in the shared cache
    under the versions of the zone data and of this builder, and in this process's memory."""
    first, last = VTIMEZONE_SPAN
    versions = f"{_ZONE_DATA_VERSION}:{_VTIMEZONE_FORMAT}:{first.year}-{last.year}"
    key = f"ical:vtimezone:{name}:{versions}"
    text = cache.get(key)
    if text is None:
        text = _build_vtimezone(name)
        cache.set(key, text, None)
    return text


#: How far apart the search for a zone's transitions looks first; where the offset differs
#: between two looks, it narrows down to the second. Over the span, no zone changes its
#: offset and back within three days (Boa Vista kept summer time for one week of 2000):
#: tests/meetings/test_vtimezone.py checks the trickiest zones against a 12-hour search,
#: and every zone of the database was checked so once.
_TRANSITION_STEP = datetime.timedelta(days=3)
_SECOND = datetime.timedelta(seconds=1)
#: Part of the shared cache's key: a new way of writing zones replaces the old ones.
_VTIMEZONE_FORMAT = "direct-1"


def _transitions(
    zone: zoneinfo.ZoneInfo, start: datetime.datetime, end: datetime.datetime
) -> list[datetime.datetime]:
    """The UTC instants in [start, end) at which the zone's offset from UTC changes."""
    found = []
    moment, offset = start, start.astimezone(zone).utcoffset()
    while moment < end:
        look = min(moment + _TRANSITION_STEP, end)
        if look.astimezone(zone).utcoffset() == offset:
            moment = look
            continue
        low, high = moment, look  # the offset is still the old one at low, not at high
        while high - low > _SECOND:
            middle = low + ((high - low) // 2 // _SECOND) * _SECOND
            if middle.astimezone(zone).utcoffset() == offset:
                low = middle
            else:
                high = middle
        found.append(high)
        moment, offset = high, high.astimezone(zone).utcoffset()
    return found


def _utc_offset(offset: datetime.timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign, seconds = ("-" if seconds < 0 else "+"), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _build_vtimezone(name: str) -> str:
    """The zone's VTIMEZONE over VTIMEZONE_SPAN, written directly: an observance per kind
    of period (offset before, offset after, name, standard or daylight), starting at its
    first onset, with one RDATE line per later onset (some readers, vobject among them,
    misread a list folded across lines). An onset is the wall-clock time at which the
    change happens, read on the later of the two clocks (03:00 for both of Paris' changes),
    as icalendar's `Timezone.from_tzinfo` writes it. That builder took 20 ms a zone (a
    cold feed rebuilds every zone it names) and missed changes less than a few days
    apart (Casablanca's Ramadan breaks); this one takes 9 ms and misses none."""
    zone = zoneinfo.ZoneInfo(name)
    first, last = VTIMEZONE_SPAN
    start = datetime.datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime.datetime(last.year, last.month, last.day, tzinfo=zone)
    onsets: dict[tuple[str, str, str, bool], list[datetime.datetime]] = {}
    local = start.astimezone(zone)
    offset = local.utcoffset()
    key = (_utc_offset(offset), _utc_offset(offset), local.tzname() or str(offset), not local.dst())
    onsets[key] = [start.replace(tzinfo=None)]
    for moment in _transitions(zone, start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)):
        local = moment.astimezone(zone)
        before, after = offset, local.utcoffset()
        name_then = local.tzname() or str(after)
        key = (_utc_offset(before), _utc_offset(after), name_then, not local.dst())
        onset = (moment + max(before, after)).replace(tzinfo=None)
        onsets.setdefault(key, []).append(onset)
        offset = after
    lines = [
        "BEGIN:VTIMEZONE",
        _line("TZID", name).rstrip(CRLF),
        f"COMMENT:This timezone only works from {first.isoformat()} to {last.isoformat()}.",
    ]
    for (offset_from, offset_to, tzname, standard), starts in onsets.items():
        kind = "STANDARD" if standard else "DAYLIGHT"
        lines += [f"BEGIN:{kind}", f"DTSTART:{_stamp(starts[0])}"]
        lines += [f"RDATE:{_stamp(onset)}" for onset in starts[1:]]
        lines += [
            _line("TZNAME", _text(tzname)).rstrip(CRLF),
            f"TZOFFSETFROM:{offset_from}",
            f"TZOFFSETTO:{offset_to}",
            f"END:{kind}",
        ]
    lines.append("END:VTIMEZONE")
    return CRLF.join(lines) + CRLF


def _text(value: str) -> str:
    """A TEXT value, escaped (RFC 5545, 3.3.11): backslash, semicolon, comma and newline;
    a carriage return is dropped (a CRLF becomes one escaped newline). Chained replaces
    beat str.translate several times over on the mostly plain texts of a feed."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r", "")
        .replace("\n", "\\n")
    )


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


def _stamp(m: datetime.datetime) -> str:
    # A feed formats 50,000 of these: %-formatting is three times faster than strftime.
    return "%04d%02d%02dT%02d%02d%02d" % (m.year, m.month, m.day, m.hour, m.minute, m.second)  # noqa: UP031


def _utc(moment: datetime.datetime) -> str:
    return _stamp(moment.astimezone(datetime.UTC)) + "Z"


def _description(meeting: Meeting, page_url: str, *, with_agenda: bool = True) -> str:
    parts = []
    if meeting.is_cancelled:
        parts.append(f"Cancelled. {meeting.cancel_reason}".strip())
    agenda = meeting.agenda.strip() if with_agenda else ""
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


class _Row:
    """A meeting as its event needs it, read as a plain database row: it answers the
    same attributes as a Meeting (those `event` and the access rules read)."""

    FIELDS = (
        "pk", "uid_text", "revision", "updated_stamp", "created_stamp", "starts_at", "ends_at",
        "topic", "agenda", "status", "cancel_reason", "conference_link", "series__name",
        "series__audience", "series__conference_link", "slot__zone",
    )  # fmt: skip
    __slots__ = (
        "agenda",
        "cancel_reason",
        "created_stamp",
        "effective_conference_link",
        "ends_at",
        "is_board",
        "is_cancelled",
        "pk",
        "revision",
        "slot_zone",
        "starts_at",
        "title",
        "uid",
        "updated_stamp",
    )  # fmt: skip

    def __init__(self, row: tuple) -> None:
        (
            self.pk, uid, self.revision, self.updated_stamp, self.created_stamp,
            self.starts_at, self.ends_at, topic, self.agenda, status, self.cancel_reason, link,
            series_name, audience, series_link, zone,
        ) = row  # fmt: skip
        # The UUID as text, not a UUID object (making 10,000 of those was a tenth of a
        # feed): PostgreSQL gives its usual form, SQLite the 32 digits Django stores.
        self.uid = (
            uid if len(uid) == 36 else f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
        )
        self.title = f"{series_name}: {topic}" if topic else series_name
        self.is_cancelled = status == Meeting.Status.CANCELLED
        self.effective_conference_link = link or series_link
        self.is_board = audience == Audience.BOARD
        self.slot_zone = zone or "UTC"


class UTCStamp(Func):
    """A timestamp as an iCalendar UTC date-time ("20261204T035006Z"), formatted by the
    database: a feed needs two per meeting, and parsing 20,000 timestamps into datetimes
    only to format them again was a fifth of building a large feed."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="""to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"')""",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps Django's datetimes as UTC text.
        return self.as_sql(
            compiler,
            connection,
            template="strftime('%%%%Y%%%%m%%%%dT%%%%H%%%%M%%%%SZ', %(expressions)s)",
            **extra,
        )


def calendar_rows(meetings: QuerySet[Meeting]) -> Iterable[_Row]:
    rows = meetings.annotate(
        uid_text=Cast("uid", CharField()),
        updated_stamp=UTCStamp("updated_at"),
        created_stamp=UTCStamp("created_at"),
    ).values_list(*_Row.FIELDS)
    return map(_Row, rows.iterator(chunk_size=2000))


def event(
    meeting: Meeting | _Row,
    *,
    include_location: bool,
    pages: _Pages | None = None,
    include_agenda: bool = True,
) -> str:
    """The VEVENT of one meeting. `include_location` only for people allowed to see the
    link, `include_agenda` only for those who may see the meeting itself."""
    pages = pages or _Pages()
    zone_name = meeting.slot_zone
    zone = rotation.zone(zone_name)  # cached: ZoneInfo's own cache holds only a few zones
    page_url = pages(meeting)
    if zone_name == "UTC":
        start, end = f"DTSTART:{_utc(meeting.starts_at)}", f"DTEND:{_utc(meeting.ends_at)}"
    else:
        start = f"DTSTART;TZID={zone_name}:{_stamp(meeting.starts_at.astimezone(zone))}"
        end = f"DTEND;TZID={zone_name}:{_stamp(meeting.ends_at.astimezone(zone))}"
    # A feed's rows carry their stamps formatted by the database (`UTCStamp`).
    changed = getattr(meeting, "updated_stamp", None) or _utc(meeting.updated_at)
    created = getattr(meeting, "created_stamp", None) or _utc(meeting.created_at)
    link = meeting.effective_conference_link
    location = _line("LOCATION", _text(link)) if include_location and link else ""
    description = _description(meeting, page_url, with_agenda=include_agenda)
    # One string, in the order of the lines: a feed writes 10,000 of these.
    return (
        f"BEGIN:VEVENT{CRLF}{_line('UID', uid_for(meeting))}"
        f"SEQUENCE:{meeting.revision}{CRLF}"
        f"DTSTAMP:{changed}{CRLF}LAST-MODIFIED:{changed}{CRLF}CREATED:{created}{CRLF}"
        f"{start}{CRLF}{end}{CRLF}"
        f"{_line('SUMMARY', _text(meeting.title))}"
        f"{_line('DESCRIPTION', _text(description))}"
        f"{_line('URL', page_url)}"
        f"{_CANCELLED if meeting.is_cancelled else _CONFIRMED}"
        f"{_PRIVATE if meeting.is_board else _PUBLIC}"
        f"TRANSP:OPAQUE{CRLF}{location}END:VEVENT{CRLF}"
    )


_CANCELLED, _CONFIRMED = "STATUS:CANCELLED" + CRLF, "STATUS:CONFIRMED" + CRLF
_PRIVATE, _PUBLIC = "CLASS:PRIVATE" + CRLF, "CLASS:PUBLIC" + CRLF


def build_calendar(
    meetings: Iterable[Meeting] | QuerySet[Meeting],
    *,
    name: str,
    include_location: Callable[[Meeting], bool] = lambda meeting: False,
    include_agenda: Callable[[Meeting], bool] = lambda meeting: True,
    method: str | None = None,
) -> bytes:
    """The calendar of these meetings (a queryset is read as plain rows, in its order)."""
    pages = _Pages()
    zones: set[str] = set()
    events = []
    if isinstance(meetings, QuerySet):
        meetings = calendar_rows(meetings)
    for meeting in meetings:
        events.append(
            event(
                meeting,
                include_location=include_location(meeting),
                include_agenda=include_agenda(meeting),
                pages=pages,
            )
        )
        if meeting.slot_zone != "UTC":
            zones.add(meeting.slot_zone)
    head = [
        "BEGIN:VCALENDAR" + CRLF,
        "VERSION:2.0" + CRLF,
        _line("PRODID", _text(prodid())),
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
