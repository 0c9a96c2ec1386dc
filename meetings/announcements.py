"""Meeting announcements, reminders, updates and cancellation notices by e-mail.

Deciding and sending are apart. `decide_due` creates one Delivery row per message under
a unique constraint, in the same transaction as the decision, so deciding twice creates
nothing. `deliver_pending` claims a batch of rows, sends them over one SMTP connection
and marks each row sent the moment the server accepted it. A row claimed by a worker
that died is claimed again once its lease runs out; a row marked sent is never sent
again. The one message in flight when a worker is killed may reach the server twice;
it carries the same Message-ID both times, so mail clients show it once.

Nothing is given up while the mail server is away or busy: a row waits, with a backoff
that stops growing at half an hour, until the server takes it. A row fails for good
only when the recipient's server refuses that recipient (a 5xx answer to RCPT TO). A
row whose meeting was cancelled (but for the cancellation notice) or is over is
superseded instead of sent.
"""

from __future__ import annotations

import datetime
import email.policy
import logging
import smtplib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from members.models import Company, Person, Role
from members.permissions import Access, compute_access, compute_access_many

from .ical import build_calendar
from .models import Audience, Delivery, Meeting, Series

logger = logging.getLogger(__name__)

REMINDER_AHEAD = datetime.timedelta(hours=24)
BATCH = 200
BACKOFF_CAP = datetime.timedelta(minutes=30)
_ATTEMPTS_CEILING = 32767  # the column is a small integer; retrying goes on past it
LIST_ID = "LCOO meetings <meetings.lcoo-portal>"
_TO_PLACEHOLDER = "recipient@placeholder.invalid"
_ID_PLACEHOLDER = "<message-id@placeholder.invalid>"


# Who hears of a meeting -------------------------------------------------------------


def verified_people() -> QuerySet[Person]:
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True, primary=True)
    return Person.objects.filter(Exists(verified), is_active=True)


def audience_people(series: Series, on: datetime.date | None = None) -> QuerySet[Person]:
    """People a series' announcements go to, besides its mailing list.

    Board: executives and chairs. General Meetings: coordinators and chairs (they attend
    them). Sub-team meetings: the sub-team. Topical Forums, open to all: everyone with a
    verified account.
    """
    active = Role.objects.active(on)
    people = verified_people()
    if series.kind == Series.Kind.BOARD or series.audience == Audience.BOARD:
        kinds = [Role.Kind.EXECUTIVE, Role.Kind.CHAIR]
    elif series.kind == Series.Kind.GENERAL:
        kinds = [Role.Kind.COORDINATOR, Role.Kind.CHAIR]
    elif series.kind == Series.Kind.SUBTEAM and series.sub_team_id:
        return people.filter(sub_teams=series.sub_team_id)
    else:
        return people
    return people.filter(Exists(active.filter(person=OuterRef("pk"), kind__in=kinds)))


# Deciding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    meeting: Meeting
    kind: str
    recipient: str
    person_id: int | None


def _announcement_recipients(meeting: Meeting) -> list[tuple[str, int | None]]:
    recipients: dict[str, int | None] = {}
    if meeting.series.mailing_list:
        recipients[meeting.series.mailing_list.lower()] = None
    for pk, address in audience_people(meeting.series, meeting.starts_at.date()).values_list(
        "pk", "email"
    ):
        recipients.setdefault(address.lower(), pk)
    return list(recipients.items())


def _earlier_recipients(meeting: Meeting) -> list[tuple[str, int | None]]:
    """Everyone who was told of the meeting and may still see it: they must hear of its
    changes. Someone who has lost that right since (an executive representative who
    stepped down, a closed account) hears nothing more of it: an update carries the
    agenda."""
    told = dict(
        meeting.deliveries.filter(kind=Delivery.Kind.ANNOUNCEMENT, round=0).values_list(
            "recipient", "person_id"
        )
    )
    people = list(Person.objects.filter(pk__in={pk for pk in told.values() if pk}, is_active=True))
    access = compute_access_many(people, meeting.starts_at.date())
    return [
        (address, pk)
        for address, pk in told.items()
        if pk is None or (pk in access and access[pk].can_see_meeting(meeting))
    ]


def plan_due(now: datetime.datetime, *, series: Series | None = None) -> list[Planned]:
    """Every message that is due at `now` and not decided yet (of one series only, if
    given)."""
    planned: list[Planned] = []
    upcoming = Meeting.objects.filter(starts_at__gt=now).select_related("series")
    if series is not None:
        upcoming = upcoming.filter(series=series)
    announced = Delivery.objects.filter(meeting=OuterRef("pk"), kind=Delivery.Kind.ANNOUNCEMENT)
    cancelled_notice = Delivery.objects.filter(
        meeting=OuterRef("pk"), kind=Delivery.Kind.CANCELLATION
    )

    # Announcements: N days ahead, once per meeting.
    due = upcoming.filter(
        ~Exists(announced),
        status=Meeting.Status.SCHEDULED,
        series__announce_days_ahead__gt=0,
    )
    for meeting in due:
        if meeting.starts_at - datetime.timedelta(days=meeting.series.announce_days_ahead) > now:
            continue
        planned += [
            Planned(meeting, Delivery.Kind.ANNOUNCEMENT, address, pk)
            for address, pk in _announcement_recipients(meeting)
        ]

    # Updates: a change of time, place or agenda after the announcement. What everyone
    # was told is the regular rounds' latest sequence: a resend to one person (a later
    # round) tells only that person.
    changed = (
        upcoming.filter(Exists(announced), status=Meeting.Status.SCHEDULED)
        .annotate(
            told=Max(
                "deliveries__sequence",
                filter=Q(
                    deliveries__kind__in=[Delivery.Kind.ANNOUNCEMENT, Delivery.Kind.UPDATE],
                    deliveries__round=0,
                ),
            )
        )
        .filter(revision__gt=F("told"))
    )
    for meeting in changed:
        planned += [
            Planned(meeting, Delivery.Kind.UPDATE, address, pk)
            for address, pk in _earlier_recipients(meeting)
        ]

    # Cancellations of announced meetings.
    for meeting in upcoming.filter(
        Exists(announced), ~Exists(cancelled_notice), status=Meeting.Status.CANCELLED
    ):
        planned += [
            Planned(meeting, Delivery.Kind.CANCELLATION, address, pk)
            for address, pk in _earlier_recipients(meeting)
        ]

    # Reminders: a day ahead, to people who asked for them and may attend, including
    # those who opted in after the meeting's first reminders were decided. One per
    # person and meeting (a database constraint), whatever changed since.
    for meeting in upcoming.filter(
        status=Meeting.Status.SCHEDULED, starts_at__lte=now + REMINDER_AHEAD
    ):
        reminded = set(
            meeting.deliveries.filter(kind=Delivery.Kind.REMINDER, round=0).values_list(
                "recipient", flat=True
            )
        )
        people = audience_people(meeting.series, meeting.starts_at.date()).filter(
            wants_reminders=True
        )
        planned += [
            Planned(meeting, Delivery.Kind.REMINDER, address.lower(), pk)
            for pk, address in people.values_list("pk", "email")
            if address.lower() not in reminded
        ]
    return planned


@transaction.atomic
def decide_due(now: datetime.datetime | None = None, *, series: Series | None = None) -> int:
    """Create the Delivery rows of every message due at `now` (of one series only, if
    given: benchmarks and tests). Returns how many."""
    now = now or timezone.now()
    supersede_stale(now)
    planned = plan_due(now, series=series)
    if not planned:
        return 0
    # Lock the meetings concerned, so two deciders at once cannot both decide.
    list(
        Meeting.objects.select_for_update()
        .filter(pk__in={p.meeting.pk for p in planned})
        .values_list("pk", flat=True)
    )
    rows = [
        Delivery(
            meeting=p.meeting,
            kind=p.kind,
            recipient=p.recipient,
            person_id=p.person_id,
            sequence=p.meeting.revision,
            next_attempt_at=now,
        )
        for p in planned
    ]
    before = Delivery.objects.count()
    Delivery.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return Delivery.objects.count() - before


@transaction.atomic
def resend(
    *,
    meeting: Meeting,
    kind: str,
    recipient: str | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Send one kind again, to everyone it went to or to one recipient, as a new round."""
    now = now or timezone.now()
    earlier = meeting.deliveries.filter(kind=kind)
    if recipient:
        earlier = earlier.filter(recipient=recipient.lower())
    targets = dict(earlier.values_list("recipient", "person_id"))
    if not targets:
        return 0
    next_round = (meeting.deliveries.filter(kind=kind).aggregate(r=Max("round"))["r"] or 0) + 1
    Delivery.objects.bulk_create(
        [
            Delivery(
                meeting=meeting,
                kind=kind,
                recipient=address,
                person_id=pk,
                sequence=meeting.revision,
                round=next_round,
                next_attempt_at=now,
            )
            for address, pk in targets.items()
        ]
    )
    return len(targets)


# Sending ----------------------------------------------------------------------------


def _stale(now: datetime.datetime) -> Q:
    """Rows no longer worth sending: news of a meeting that is off, or over."""
    called_off = Q(meeting__status=Meeting.Status.CANCELLED) & ~Q(kind=Delivery.Kind.CANCELLATION)
    return called_off | Q(meeting__ends_at__lte=now)


def supersede_stale(now: datetime.datetime | None = None) -> int:
    """Mark superseded every unsent row of a cancelled meeting (its cancellation notice
    goes instead) and of a meeting that is over. Returns how many.

    Every sender batch runs this, with thousands of rows waiting: it looks at the few
    meetings that have unsent mail first, and updates rows only of those that are off.
    """
    now = now or timezone.now()
    unsent = Q(status=Delivery.Status.PENDING) | Q(
        status=Delivery.Status.SENDING, claimed_until__lt=now
    )
    waiting = set(Delivery.objects.filter(unsent).values_list("meeting_id", flat=True).distinct())
    if not waiting:
        return 0
    off = Meeting.objects.filter(pk__in=waiting).filter(
        Q(status=Meeting.Status.CANCELLED) | Q(ends_at__lte=now)
    )
    superseded = 0
    for meeting_id, status, ends_at in off.values_list("pk", "status", "ends_at"):
        rows = Delivery.objects.filter(unsent, meeting_id=meeting_id)
        if status == Meeting.Status.CANCELLED and ends_at > now:
            rows = rows.exclude(kind=Delivery.Kind.CANCELLATION)
        superseded += rows.update(status=Delivery.Status.SUPERSEDED, claimed_until=None)
    return superseded


def claim(limit: int = BATCH, now: datetime.datetime | None = None) -> list[Delivery]:
    """Take up to `limit` sendable rows for this worker, for the length of a lease."""
    now = now or timezone.now()
    sendable = Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, claimed_until__lt=now
    )
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sendable)
            .exclude(_stale(now))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        lease = datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.SENDING, claimed_until=now + lease
        )
    return list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("meeting__series", "meeting__slot", "person")
        .order_by("pk")
    )


@dataclass
class DeliverResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    superseded: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed


def deliver_pending(*, limit: int = BATCH, now: datetime.datetime | None = None) -> DeliverResult:
    """Send one batch of due rows over one SMTP connection."""
    now = now or timezone.now()
    result = DeliverResult(superseded=supersede_stale(now))
    rows = claim(limit, now)
    if not rows:
        return result
    renderer = MessageRenderer(rows)
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        # Down, refusing connections, too slow, or busy (421): the whole batch waits.
        _retry_later(rows, error, result, now)
        return result
    sender = connection.prep_address(settings.DEFAULT_FROM_EMAIL)
    try:
        for index, row in enumerate(rows):
            try:
                smtp = getattr(connection, "connection", None)
                if isinstance(smtp, smtplib.SMTP):
                    smtp.sendmail(sender, [row.recipient], renderer.raw(row))
                else:  # a development backend (console, memory)
                    connection.send_messages([renderer.message(row)])
            except smtplib.SMTPRecipientsRefused as error:
                if refused_for_good(error):
                    _fail(row, error, result)
                else:
                    _retry_later([row], error, result, now)
                continue
            except smtplib.SMTPServerDisconnected as error:
                # The connection is gone: this and the rest of the batch wait for a retry.
                _retry_later(rows[index:], error, result, now)
                break
            except smtplib.SMTPException as error:
                # A temporary answer (4xx), or one about the message or the sender rather
                # than the recipient: try again later, as long as it takes.
                _retry_later([row], error, result, now)
                continue
            except OSError as error:
                # The same, from the socket (SMTPException is an OSError too: it comes first).
                _retry_later(rows[index:], error, result, now)
                break
            Delivery.objects.filter(pk=row.pk).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=row.attempts + 1
            )
            result.sent += 1
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.warning("Could not close the SMTP connection cleanly.")
    return result


def refused_for_good(error: smtplib.SMTPRecipientsRefused) -> bool:
    """The server refused the recipient with a permanent (5xx) answer to RCPT TO."""
    codes = [code for code, _ in error.recipients.values()]
    return bool(codes) and all(500 <= code < 600 for code in codes)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _fail(row: Delivery, error: Exception, result: DeliverResult) -> None:
    message = _describe(error)
    result.errors.append(message)
    result.failed += 1
    logger.warning("Mail to %s refused for good: %s", row.recipient, message)
    Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED,
        attempts=min(row.attempts + 1, _ATTEMPTS_CEILING),
        last_error=message,
        claimed_until=None,
    )


def _retry_later(
    rows: Iterable[Delivery], error: Exception, result: DeliverResult, now: datetime.datetime
) -> None:
    """Back to pending, to be tried again after the backoff: never given up."""
    message = _describe(error)
    result.errors.append(message)
    for row in rows:
        attempts = min(row.attempts + 1, _ATTEMPTS_CEILING)
        result.retried += 1
        Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING,
            attempts=attempts,
            last_error=message,
            claimed_until=None,
            next_attempt_at=now + backoff(attempts),
        )


def backoff(attempts: int) -> datetime.timedelta:
    """The base delay (30 s), then twice as long on every attempt, at most half an hour."""
    base = datetime.timedelta(seconds=settings.DELIVERY_BACKOFF_SECONDS)
    return min(base * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_CAP)


def pending_count(now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    return Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    ).count()


# The message ------------------------------------------------------------------------

SUBJECTS = {
    Delivery.Kind.ANNOUNCEMENT: "{title} — {when}",
    Delivery.Kind.REMINDER: "Reminder: {title} — {when}",
    Delivery.Kind.UPDATE: "Changed: {title} — {when}",
    Delivery.Kind.CANCELLATION: "Cancelled: {title} — {when}",
}


class MessageRenderer:
    """Builds messages, rendering each (meeting, kind, zone, link) variant only once."""

    def __init__(self, rows: Iterable[Delivery] = ()) -> None:
        self._companies = list(Company.objects.members().values_list("name", "hq_timezone"))
        self._parts: dict[tuple, tuple[str, str, str, bytes]] = {}
        self._raw: dict[tuple, bytes] = {}
        self._access: dict[int, Access] = compute_access_many(
            list({row.person.pk: row.person for row in rows if row.person}.values())
        )

    def _access_of(self, person: Person | None) -> Access | None:
        if person is None:
            return None
        if person.pk not in self._access:
            self._access[person.pk] = compute_access(person)
        return self._access[person.pk]

    def _variant(self, row: Delivery) -> tuple:
        meeting = row.meeting
        access = self._access_of(row.person)
        zone = row.person.time_zone if row.person else meeting.series.main_zone
        with_link = bool(access and access.can_see_conference_link(meeting))
        key = (meeting.pk, meeting.revision, row.kind, zone, with_link)
        if key not in self._parts:
            self._parts[key] = self._render(meeting, row.kind, zone, with_link)
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
                "List-Id": LIST_ID,
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
        self, meeting: Meeting, kind: str, zone: str, with_link: bool
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
            "page_url": settings.SITE_URL + meeting.get_absolute_url(),
            "utc_start": meeting.starts_at.astimezone(datetime.UTC),
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
            method="CANCEL" if kind == Delivery.Kind.CANCELLATION else "PUBLISH",
        )
        return subject, text, html, ics
