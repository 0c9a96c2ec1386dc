"""Mail about meetings: one row per message and recipient, decided once, sent once."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from lcoo.models import OutboxRow, message_id, optional_person
from lcoo.transport import sendable

from .meeting import Meeting


class DeliveryQuerySet(models.QuerySet):
    def pending(self, now: datetime.datetime | None = None) -> DeliveryQuerySet:
        """Not sent and not given up: waiting, or claimed by a worker whose lease ran out
        by `now` (without `now`: any claimed row)."""
        claimed = Q(status=Delivery.Status.SENDING)
        if now is not None:
            claimed &= Q(claimed_until__lt=now)
        return self.filter(Q(status=Delivery.Status.PENDING) | claimed)

    def due(self, now: datetime.datetime) -> DeliveryQuerySet:
        """What a sender may take at `now`: pending rows whose next attempt has come, and
        rows whose worker's lease ran out."""
        return self.filter(sendable(now))


def no_longer_news(now: datetime.datetime) -> Q:
    """Rows no longer worth sending: news of a meeting that is off (but for its
    cancellation notice), or over."""
    called_off = Q(meeting__status=Meeting.Status.CANCELLED) & ~Q(kind=Delivery.Kind.CANCELLATION)
    return called_off | Q(meeting__ends_at__lte=now)


class Delivery(OutboxRow):
    """One mail to one recipient: decided once, sent once.

    Rows are created when the portal decides to send (unique per meeting, kind,
    recipient and calendar sequence, so deciding twice creates nothing), then sent by
    workers, which mark each row the moment the SMTP server accepted it.
    """

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", "Announcement"
        REMINDER = "reminder", "Reminder"
        UPDATE = "update", "Update"
        CANCELLATION = "cancellation", "Cancellation"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    person = optional_person(related_name="deliveries")
    sequence = models.PositiveIntegerField()
    #: A resend of a kind to a recipient gets a new round, so it is a new row.
    round = models.PositiveSmallIntegerField(default=0)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind", "recipient", "sequence", "round"],
                name="delivery_once",
            ),
            # One reminder per person and meeting, whatever changed since: deciding
            # reminders again (for people who opted in later) adds only the missing ones.
            models.UniqueConstraint(
                fields=["meeting", "recipient"],
                condition=Q(kind="reminder", round=0),
                name="delivery_one_reminder",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.meeting} to {self.recipient}"

    @property
    def message_id(self) -> str:
        suffix = f".r{self.round}" if self.round else ""
        return message_id(f"{self.meeting.uid}.{self.kind}.{self.sequence}{suffix}", self.recipient)
