"""Sending the mail decided: claim a batch, send it over one SMTP connection, mark
each row the moment the server accepted it.

A row claimed by a worker that died is claimed again once its lease runs out; a row
marked sent is never sent again. The one message in flight when a worker is killed may
reach the server twice; it carries the same Message-ID both times, so mail clients show
it once.

Nothing is given up while the mail server is away or busy: a row waits, with a backoff
that stops growing at half an hour, until the server takes it. A row fails for good
only when the recipient's server refuses that recipient (a 5xx answer to RCPT TO).
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.utils import timezone

from .announcements import supersede_stale
from .messages import MessageRenderer
from .models import Delivery

logger = logging.getLogger(__name__)

BATCH = 200
BACKOFF_CAP = datetime.timedelta(minutes=30)
_ATTEMPTS_CEILING = 32767  # the column is a small integer; retrying goes on past it


def claim(limit: int = BATCH, now: datetime.datetime | None = None) -> list[Delivery]:
    """Take up to `limit` sendable rows for this worker, for the length of a lease."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .due(now)
            .still_news(now)
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
    """Send one batch of due rows over one SMTP connection, once the rows no longer worth
    sending are superseded."""
    now = now or timezone.now()
    result = DeliverResult(superseded=supersede_stale(now))
    rows = claim(limit, now)
    if rows:
        send_batch(rows, MessageRenderer(rows), result, now)
    return result


def send_batch(
    rows: Sequence[Delivery],
    renderer: MessageRenderer,
    result: DeliverResult,
    now: datetime.datetime,
) -> None:
    """Send claimed rows over one SMTP connection, each as `renderer` builds it (`raw`
    for SMTP, `message` for a development backend), and record each outcome."""
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        # Down, refusing connections, too slow, or busy (421): the whole batch waits.
        _retry_later(rows, error, result, now)
        return
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
    return Delivery.objects.due(now).count()
