"""Sending the meeting mail decided: claim a batch of `Delivery` rows, build each message
(every variant once) and send them through the portal's one SMTP transport
(`lcoo.transport`: leases, backoff, one failing row never stopping the rest).

Rows no longer worth sending are superseded first: news of a meeting that is off (but
for its cancellation notice), or over.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from lcoo import transport
from lcoo.transport import BATCH, DeliverResult, backoff

from .announcements import supersede_stale
from .messages import MessageRenderer
from .models import Delivery
from .models.delivery import no_longer_news

__all__ = ["BATCH", "DeliverResult", "backoff", "claim", "deliver_pending", "pending_count"]


def claim(
    limit: int = BATCH, now: datetime.datetime | None = None, *, due_only: bool = True
) -> list[Delivery]:
    """Take up to `limit` sendable rows for this worker, for the length of a lease."""
    now = now or timezone.now()
    ids = transport.claim(
        Delivery, limit=limit, now=now, exclude=no_longer_news(now), due_only=due_only
    )
    return list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("meeting__series", "meeting__slot", "person")
        .order_by("pk")
    )


def deliver_pending(
    *, limit: int = BATCH, now: datetime.datetime | None = None, due_only: bool = True
) -> DeliverResult:
    """Send one batch of due rows over one SMTP connection, once the rows no longer worth
    sending are superseded. `due_only=False` takes rows still in their backoff too (an
    operator catching up once the mail server is back)."""
    now = now or timezone.now()
    result = DeliverResult(superseded=supersede_stale(now))
    rows = claim(limit, now, due_only=due_only)
    if rows:
        renderer = MessageRenderer(rows)
        transport.send_rows(
            rows, compose=renderer.message, raw=renderer.raw, now=now, result=result
        )
    return result


def pending_count(now: datetime.datetime | None = None) -> int:
    return Delivery.objects.due(now or timezone.now()).count()
