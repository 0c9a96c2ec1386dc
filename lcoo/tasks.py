"""Celery tasks of the shared outbox: thin, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from . import transport

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_pending_mail(self, *, limit: int = transport.BATCH) -> dict:
    """Send one batch of the outbox; retry with backoff while the SMTP server is away."""
    result = transport.deliver_pending_mail(limit=limit)
    if result.retried and not self.request.is_eager:
        # In-process (no broker), the next run_due_jobs picks the rows up instead.
        countdown = transport.backoff(self.request.retries + 1).total_seconds()
        logger.warning("Mail delivery will be retried in %ss: %s", countdown, result.errors[-1])
        raise self.retry(countdown=countdown)
    if result.claimed == limit:
        send_pending_mail.delay(limit=limit)  # a full batch: there may be more waiting
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


def queue_mail_sender() -> None:
    """Have the outbox sent once the current transaction commits (at once outside one)."""
    transaction.on_commit(_queue_sender)


def _queue_sender() -> None:
    # The rows are in the database whatever happens here: with the broker away, the
    # beat's next sweep once it is back (or run_due_jobs) sends them. The change that
    # wrote them must not fail for that, nor wait on the mail server in a request.
    try:
        send_pending_mail.delay()
    except OperationalError as error:
        logger.warning("Broker unavailable, mail waits in the database: %s", error)
