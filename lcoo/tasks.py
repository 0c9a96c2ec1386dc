"""Celery tasks of the shared outbox, and what every outbox's sender task shares: thin,
safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Task, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from . import transport

logger = logging.getLogger(__name__)


def send_batch(
    task: Task, deliver: Callable[..., transport.DeliverResult], *, limit: int
) -> transport.DeliverResult:
    """Run `deliver` for one batch of `limit` rows in the sender `task`: retried with
    backoff while the SMTP server is away, and queued again after a full batch."""
    result = deliver(limit=limit)
    # Retry the task only when the server took nothing (it is away): a recipient's
    # server answering "later" must not hold back the rest of a large batch; its rows
    # wait out their own backoff and the beat's sweep takes them.
    if result.retried and not result.sent and not task.request.is_eager:
        # In-process (no broker), the next run_due_jobs picks the rows up instead.
        countdown = transport.backoff(task.request.retries + 1).total_seconds()
        logger.warning("Mail delivery will be retried in %ss: %s", countdown, result.errors[-1])
        raise task.retry(countdown=countdown)
    if result.claimed == limit:
        task.delay(limit=limit)  # a full batch: there may be more waiting
    return result


def start_sender(task: Task, **kwargs) -> None:
    """Queue a sender task, if the broker takes it."""
    # The rows are in the database whatever happens here: with the broker away, the
    # beat's next sweep once it is back (or run_due_jobs) sends them. The change that
    # wrote them must not fail for that, nor wait on the mail server in a request.
    try:
        task.delay(**kwargs)
    except OperationalError as error:
        logger.warning("Broker unavailable, mail waits in the database: %s", error)
    except Exception:
        # Anything else (in development the sender runs here, in-process): logged, and
        # the rows wait for the sweep; the committed change stands and its page answers.
        logger.exception("Could not start the mail sender; mail waits in the database")


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_pending_mail(self, *, limit: int = transport.BATCH) -> dict:
    """Send one batch of the outbox; retry with backoff while the SMTP server is away."""
    result = send_batch(self, transport.deliver_pending_mail, limit=limit)
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


def queue_mail_sender() -> None:
    """Have the outbox sent once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: start_sender(send_pending_mail))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def forget_sent_mail_bodies() -> int:
    return transport.forget_sent_bodies()
