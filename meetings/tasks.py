"""Celery tasks: thin wrappers that call the services, safe to run twice."""

from __future__ import annotations

import datetime
import math

from celery import shared_task
from django.db import transaction

from lcoo.tasks import send_batch, start_sender

from . import announcements, scheduling, sending


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_pending_deliveries(self, *, limit: int = sending.BATCH) -> dict:
    """Send one batch of pending mail; retry with backoff while the SMTP server is away."""
    result = send_batch(self, sending.deliver_pending, limit=limit)
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
        transaction.on_commit(lambda: start_sender(send_pending_deliveries, limit=limit))
    return tasks


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
