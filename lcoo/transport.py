"""The outbox's transport: one SMTP sender for every message the portal sends.

Writing and sending are apart. A change writes its messages as rows (`lcoo.outbox`),
in its own transaction; once that commits, a worker (in development: the same process)
claims a batch of rows, sends them over one SMTP connection and marks each row sent the
moment the server accepted it. A row claimed by a worker that died is claimed again once
its lease runs out; a row marked sent is never sent again. The one message in flight when
a worker is killed may reach the server twice; it carries the same Message-ID both times,
so mail clients show it once.

Nothing is given up while the mail server is away or busy: a row waits, with a backoff
that stops growing at half an hour, until the server takes it. A row fails for good only
when the recipient's server refuses that recipient (a 5xx answer to RCPT TO), or when its
message cannot be built at all; one such row never holds up the others.

The transport works on any concrete `OutboxRow` model: `lcoo.Mail` here, meeting
announcements in the meetings app. This module imports no app of the portal.
"""

from __future__ import annotations

import datetime
import email.policy
import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Mail, OutboxRow

logger = logging.getLogger(__name__)

BATCH = 200
BACKOFF_CAP = datetime.timedelta(minutes=30)
_ATTEMPTS_CEILING = 32767  # the column is a small integer; retrying goes on past it

Status = OutboxRow.Status


# Sending ----------------------------------------------------------------------------


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

    def add(self, other: DeliverResult) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.superseded += other.superseded
        self.errors.extend(other.errors)


def sendable(now: datetime.datetime, *, due_only: bool = True) -> Q:
    """Rows a worker may take now: pending and due (or any pending, for a catch-up), or
    claimed by a worker whose lease ran out."""
    pending = Q(status=Status.PENDING)
    if due_only:
        pending &= Q(next_attempt_at__lte=now)
    return pending | Q(status=Status.SENDING, claimed_until__lt=now)


def claim[Row: OutboxRow](
    model: type[Row],
    *,
    limit: int = BATCH,
    now: datetime.datetime,
    exclude: Q | None = None,
    due_only: bool = True,
) -> list[int]:
    """Take up to `limit` sendable rows of `model` for this worker, for one lease."""
    with transaction.atomic():
        queryset = model.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            sendable(now, due_only=due_only)
        )
        if exclude is not None:
            queryset = queryset.exclude(exclude)
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])
        lease = datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
        model.objects.filter(pk__in=ids).update(status=Status.SENDING, claimed_until=now + lease)
    return ids


def send_rows[Row: OutboxRow](
    rows: Sequence[Row],
    *,
    compose: Callable[[Row], EmailMessage],
    raw: Callable[[Row], bytes] | None = None,
    now: datetime.datetime,
    result: DeliverResult | None = None,
) -> DeliverResult:
    """Send claimed rows over one connection: `raw(row)` gives the bytes for SMTP (by
    default, the composed message), `compose(row)` the message for other backends."""
    result = result or DeliverResult()
    if not rows:
        return result
    model = type(rows[0])
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        # Down, refusing connections, too slow, or busy (421): the whole batch waits.
        _retry_later(model, rows, error, result, now)
        return result
    smtp = getattr(connection, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        sender = connection.prep_address(settings.DEFAULT_FROM_EMAIL)
    try:
        for index, row in enumerate(rows):
            try:
                if isinstance(smtp, smtplib.SMTP):
                    content = raw(row) if raw else _as_bytes(compose(row))
                    # An internationalised domain as the server can take it (IDNA).
                    envelope_to = connection.prep_address(row.recipient)
                else:
                    message = compose(row)
            except ValueError as error:
                # Django's BadHeaderError (a line break in a header), an address that
                # cannot be encoded, and other faults of this one message: it can never
                # be sent, and the rest go on.
                _fail(model, row, error, result)
                continue
            try:
                if isinstance(smtp, smtplib.SMTP):
                    smtp.sendmail(sender, [envelope_to], content)
                else:  # a development backend (console, memory)
                    connection.send_messages([message])
            except smtplib.SMTPRecipientsRefused as error:
                if refused_for_good(error):
                    _fail(model, row, error, result)
                else:
                    _retry_later(model, [row], error, result, now)
                continue
            except smtplib.SMTPServerDisconnected as error:
                # The connection is gone: this and the rest of the batch wait for a retry.
                _retry_later(model, rows[index:], error, result, now)
                break
            except smtplib.SMTPException as error:
                # A temporary answer (4xx), or one about the message or the sender rather
                # than the recipient: try again later, as long as it takes.
                _retry_later(model, [row], error, result, now)
                continue
            except OSError as error:
                # The same, from the socket (SMTPException is an OSError too: it comes first).
                _retry_later(model, rows[index:], error, result, now)
                break
            except ValueError as error:
                # What the server cannot be given at all (a local part that is not ASCII,
                # to a server without SMTPUTF8): this row fails, the rest go on.
                _fail(model, row, error, result)
                continue
            model.objects.filter(pk=row.pk).update(
                status=Status.SENT, sent_at=timezone.now(), attempts=row.attempts + 1
            )
            result.sent += 1
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.warning("Could not close the SMTP connection cleanly.")
    return result


def _as_bytes(message: EmailMessage) -> bytes:
    return message.message(policy=email.policy.SMTP).as_bytes()


def deliver_pending_mail(
    *, limit: int = BATCH, now: datetime.datetime | None = None, due_only: bool = True
) -> DeliverResult:
    """Send one batch of due `Mail` rows over one SMTP connection."""
    now = now or timezone.now()
    ids = claim(Mail, limit=limit, now=now, due_only=due_only)
    rows = list(Mail.objects.filter(pk__in=ids).order_by("pk"))
    return send_rows(rows, compose=Mail.as_message, now=now)


#: How long a sent (or failed) message keeps its text, for staff answering "did it go?".
KEEP_BODIES = datetime.timedelta(days=7)


def forget_sent_bodies(*, now: datetime.datetime | None = None) -> int:
    """Blank the text of `Mail` rows settled more than `KEEP_BODIES` ago. Their bodies hold
    set-password, confirmation and status links: once delivered they are the recipient's,
    not the database's. Who, what for, when and how it went stay. How many were blanked."""
    before = (now or timezone.now()) - KEEP_BODIES
    return (
        Mail.objects.filter(
            status__in=[Status.SENT, Status.FAILED, Status.SUPERSEDED], created_at__lt=before
        )
        .exclude(body="", html="")
        .update(body="", html="")
    )


def refused_for_good(error: smtplib.SMTPRecipientsRefused) -> bool:
    """The server refused the recipient with a permanent (5xx) answer to RCPT TO."""
    codes = [code for code, _ in error.recipients.values()]
    return bool(codes) and all(500 <= code < 600 for code in codes)


def backoff(attempts: int) -> datetime.timedelta:
    """The base delay (30 s), then twice as long on every attempt, at most half an hour."""
    base = datetime.timedelta(seconds=settings.DELIVERY_BACKOFF_SECONDS)
    return min(base * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_CAP)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _fail[Row: OutboxRow](
    model: type[Row], row: Row, error: Exception, result: DeliverResult
) -> None:
    message = _describe(error)
    result.errors.append(message)
    result.failed += 1
    logger.warning("Mail to %s failed for good: %s", row.recipient, message)
    model.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.FAILED,
        attempts=min(row.attempts + 1, _ATTEMPTS_CEILING),
        last_error=message,
        claimed_until=None,
    )


def _retry_later[Row: OutboxRow](
    model: type[Row],
    rows: Iterable[Row],
    error: Exception,
    result: DeliverResult,
    now: datetime.datetime,
) -> None:
    """Back to pending, to be tried again after the backoff: never given up."""
    message = _describe(error)
    result.errors.append(message)
    for row in rows:
        attempts = min(row.attempts + 1, _ATTEMPTS_CEILING)
        result.retried += 1
        model.objects.filter(pk=row.pk, status=Status.SENDING).update(
            status=Status.PENDING,
            attempts=attempts,
            last_error=message,
            claimed_until=None,
            next_attempt_at=now + backoff(attempts),
        )
