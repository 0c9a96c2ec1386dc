"""The mail about a meeting: subject, text, HTML and calendar, in the recipient's zone."""

from __future__ import annotations

import datetime
import email.policy
import re
import zoneinfo
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.text import slugify

from lcoo.context_processors import group_names
from members.models import Company, Person
from members.permissions import Access, compute_access, compute_access_many

from .audience import invited_addresses
from .ical import build_calendar
from .models import Delivery, Meeting

_TO_PLACEHOLDER = "recipient@placeholder.invalid"
_ID_PLACEHOLDER = "<message-id@placeholder.invalid>"

SUBJECTS = {
    Delivery.Kind.ANNOUNCEMENT: "{title} — {when}",
    Delivery.Kind.REMINDER: "Reminder: {title} — {when}",
    Delivery.Kind.UPDATE: "Changed: {title} — {when}",
    Delivery.Kind.CANCELLATION: "Cancelled: {title} — {when}",
}


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def list_id() -> str:
    """The meeting mail's List-Id (RFC 2919): "LCOO meetings <meetings.lcoo.portal.example.org>",
    from the group's short name and the portal's host, so that every group's meeting mail
    files apart. The id is dot-atom text; the phrase before it a quoted string when needed."""
    short = settings.GROUP_SHORT_NAME
    group = slugify(short) or "group"
    host = (urlsplit(settings.SITE_URL).hostname or "").lower().rstrip(".")
    labels = host.split(".")
    if labels[-1].isdigit() or not all(_LABEL.fullmatch(label) for label in labels):
        # An address or no host: RFC 2919's namespace for ids under no registered domain.
        host = "localhost"
    phrase = f"{short} meetings"
    if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+", phrase):
        escaped = phrase.replace("\\", "\\\\").replace('"', '\\"')
        phrase = f'"{escaped}"'
    return f"{phrase} <meetings.{group}.{host}>"


class MessageRenderer:
    """Builds messages, rendering each (meeting, kind, zone, link) variant only once."""

    def __init__(self, rows: Iterable[Delivery] = ()) -> None:
        self._companies = list(
            Company.objects.members().exclude(hq_timezone="").values_list("name", "hq_timezone")
        )
        self._parts: dict[tuple, tuple[str, str, str, bytes]] = {}
        self._raw: dict[tuple, bytes] = {}
        self._invitations: dict[int, set[str]] = {}
        self._access: dict[int, Access] = compute_access_many(
            list({row.person.pk: row.person for row in rows if row.person}.values())
        )

    def _access_of(self, person: Person | None) -> Access | None:
        if person is None:
            return None
        if person.pk not in self._access:
            self._access[person.pk] = compute_access(person)
        return self._access[person.pk]

    def _invited(self, meeting: Meeting) -> set[str]:
        if meeting.pk not in self._invitations:
            self._invitations[meeting.pk] = invited_addresses(meeting)
        return self._invitations[meeting.pk]

    def _variant(self, row: Delivery) -> tuple:
        meeting = row.meeting
        access = self._access_of(row.person)
        zone = row.person.time_zone if row.person else meeting.series.main_zone
        with_link = bool(access and access.can_see_conference_link(meeting))
        with_agenda = True
        if (
            row.person is None
            and row.recipient != meeting.series.mailing_list.lower()
            and row.recipient in self._invited(meeting)
        ):
            # Someone invited by name gets the time and the link; the agenda is the
            # audience's (the board's).
            with_link, with_agenda = True, False
        key = (meeting.pk, meeting.revision, row.kind, zone, with_link, with_agenda)
        if key not in self._parts:
            self._parts[key] = self._render(meeting, row.kind, zone, with_link, with_agenda)
        return key

    def message(self, row: Delivery) -> EmailMultiAlternatives:
        return self._build(self._variant(row), row.meeting, row.recipient, row.message_id)

    def raw(self, row: Delivery) -> bytes:
        """The message as sent. Each variant is built once; recipients differ only in
        their To and Message-ID lines, filled into the built bytes."""
        if not row.recipient.isascii():
            return self.message(row).message(policy=email.policy.SMTP).as_bytes()
        key = self._variant(row)
        if key not in self._raw:
            template = self._build(key, row.meeting, _TO_PLACEHOLDER, _ID_PLACEHOLDER)
            self._raw[key] = template.message(policy=email.policy.SMTP).as_bytes()
        return (
            self._raw[key]
            .replace(_TO_PLACEHOLDER.encode(), row.recipient.encode(), 1)
            .replace(_ID_PLACEHOLDER.encode(), row.message_id.encode(), 1)
        )

    def _build(
        self, key: tuple, meeting: Meeting, recipient: str, message_id: str
    ) -> EmailMultiAlternatives:
        kind = key[2]
        subject, text, html, ics = self._parts[key]
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            headers={
                "Message-ID": message_id,
                "List-Id": list_id(),
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(html, "text/html")
        method = "CANCEL" if kind == Delivery.Kind.CANCELLATION else "PUBLISH"
        message.attach(
            f"meeting-{meeting.pk}.ics", ics, f"text/calendar; charset=utf-8; method={method}"
        )
        return message

    def _render(
        self, meeting: Meeting, kind: str, zone: str, with_link: bool, with_agenda: bool = True
    ) -> tuple[str, str, str, bytes]:
        tz = zoneinfo.ZoneInfo(zone)
        local = meeting.starts_at.astimezone(tz)
        context = {
            "meeting": meeting,
            "kind": kind,
            "kind_label": Delivery.Kind(kind).label,
            "zone": zone,
            "local_start": local,
            "local_end": meeting.ends_at.astimezone(tz),
            "company_times": [
                (name, hq, meeting.starts_at.astimezone(zoneinfo.ZoneInfo(hq)))
                for name, hq in self._companies
            ],
            "conference_link": meeting.effective_conference_link if with_link else "",
            "agenda": meeting.agenda if with_agenda else "",
            "page_url": settings.SITE_URL + meeting.get_absolute_url(),
            "utc_start": meeting.starts_at.astimezone(datetime.UTC),
            **group_names(),
        }
        subject = SUBJECTS[kind].format(
            title=meeting.title, when=local.strftime("%a %d %b %Y %H:%M ") + local.tzname()
        )
        text = render_to_string("meetings/mail/meeting.txt", context)
        html = render_to_string("meetings/mail/meeting.html", context)
        ics = build_calendar(
            [meeting],
            name=meeting.title,
            include_location=lambda m: with_link,
            include_agenda=lambda m: with_agenda,
            method="CANCEL" if kind == Delivery.Kind.CANCELLATION else "PUBLISH",
        )
        return subject, text, html, ics
