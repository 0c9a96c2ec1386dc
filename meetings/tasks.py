"""Celery tasks: thin wrappers that call the services, safe to run twice."""

from __future__ import annotations

import datetime
import logging
import math

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from . import announcements, scheduling, sending

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def send_pending_deliveries(self, *, limit: int = sending.BATCH) -> dict:
    """Send one batch of pending mail; retry with backoff while the SMTP server is away."""
    result = sending.deliver_pending(limit=limit)
    if result.retried and not self.request.is_eager:
        # In-process (no broker), the next run_due_jobs picks the rows up instead.
        countdown = sending.backoff(self.request.retries + 1).total_seconds()
        logger.warning("Mail delivery will be retried in %ss: %s", countdown, result.errors[-1])
        raise self.retry(countdown=countdown)
    if result.claimed == limit:
        # A full batch: there may be more waiting.
        send_pending_deliveries.delay(limit=limit)
    return {
        "sent": result.sent,
        "retried": result.retried,
        "failed": result.failed,
        "superseded": result.superseded,
    }


def queue_senders(pending: int, limit: int = sending.BATCH) -> int:
    """Queue enough sender tasks for `pending` rows, once the deciding transaction commits."""
    tasks = min(math.ceil(pending / limit), 50)
    for _ in range(tasks):
        transaction.on_commit(lambda: _queue_sender(limit))
    return tasks


def _queue_sender(limit: int) -> None:
    # The rows are in the database whatever happens here: with the broker away, the
    # beat's next decide_and_send once it is back (or run_due_jobs) sends them. A
    # coordinator's click must not fail for that.
    try:
        send_pending_deliveries.delay(limit=limit)
    except OperationalError as error:
        logger.warning("Broker unavailable, mail waits in the database: %s", error)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def decide_and_send(*, at: str | None = None) -> dict:
    now = datetime.datetime.fromisoformat(at) if at else None
    decided = announcements.decide_due(now)
    queued = queue_senders(sending.pending_count())
    return {"decided": decided, "senders": queued}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def extend_rotations(*, at: str | None = None) -> dict:
    now = datetime.datetime.fromisoformat(at) if at else None
    results = scheduling.extend_all_series(now=now)
    return {slug: result.created for slug, result in results.items()}
