"""Model pieces every app shares: when a row was created and last saved, the link to a
person that a row outlives, and the mail outbox, in which every message the portal
sends is a row written in the same transaction as the change it tells of, and sent
afterwards by the worker.

This module imports no app of the portal, so that every app may use it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.utils import timezone


def optional_person(related_name: str = "+", **options) -> models.ForeignKey:
    """A link to a person's account that the row outlives: deleting the account empties
    the link and keeps the row (who proposed, closed or received something)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        **options,
    )


class Timestamped(models.Model):
    """When the row was created and when it was last saved."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def message_id(token: str, recipient: str) -> str:
    """A Message-ID that is the same every time the same message goes to the same
    recipient, so that a copy sent twice is one message to every mail client."""
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{token}.{digest}@{host or 'lcoo-portal'}>"


class OutboxRow(models.Model):
    """One message to one recipient: written once, sent once.

    Workers mark each row the moment the SMTP server accepted it; a row claimed by a
    worker that died is claimed again once its lease runs out (see `lcoo.outbox`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        #: Refused for good: by the recipient's server (5xx), or the message could not be
        #: built (a header with a line break). Nothing else ends a row unsent.
        FAILED = "failed", "Failed"
        #: Never sent, and never will be: what it told of no longer holds.
        SUPERSEDED = "superseded", "Superseded"

    recipient = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Mail(OutboxRow):
    """A message composed when its change was made: join workflow steps, invitations,
    account mail. (Meeting announcements are `meetings.Delivery` rows, composed when sent,
    so that a change between deciding and sending is told as it is.)"""

    reason = models.CharField(max_length=64, help_text="What the message is for.")
    subject = models.CharField(max_length=998)
    body = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    person = optional_person()

    class Meta:
        ordering = ["pk"]
        verbose_name = "outgoing mail"
        verbose_name_plural = "outgoing mail"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.reason} to {self.recipient}"

    @property
    def message_id(self) -> str:
        return message_id(f"mail.{self.pk}", self.recipient)

    def as_message(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[self.recipient],
            headers={"Message-ID": self.message_id, **self.headers},
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        return message


class GroupProfile(Timestamped):
    """What the group is for, as the home page presents it: one row, edited in the admin.
    The group's name itself is a setting (GROUP_NAME, GROUP_SHORT_NAME): mail and feeds
    written outside a request need it, and it names the group before any row exists."""

    summary = models.TextField(
        blank=True, help_text="The opening paragraph of the home page (Markdown)."
    )
    mission = models.TextField(blank=True, help_text="The group's mission (Markdown).")
    principles = models.TextField(
        "guiding principles", blank=True, help_text="The group's guiding principles (Markdown)."
    )

    #: The one row's key: the admin edits it, never adds a second one.
    SINGLETON = 1

    class Meta:
        verbose_name = "group profile"
        verbose_name_plural = "group profile"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="group_profile_is_a_singleton")
        ]

    def __str__(self) -> str:
        return "Group profile"

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON
        if self.created_at is None:
            # A new instance saved over the row updates it, and keeps when it was created.
            self.created_at = (
                type(self)
                .objects.filter(pk=self.SINGLETON)
                .values_list("created_at", flat=True)
                .first()
            ) or timezone.now()
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> GroupProfile:
        """The profile, or an empty one (unsaved) before anyone wrote it."""
        return cls.objects.filter(pk=cls.SINGLETON).first() or cls()
