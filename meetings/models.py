"""Meeting series with rotating slots, their meetings, attendance, notes and attachments."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from members.models import Company, SubTeam, TimeZoneField

from . import rotation


class Audience(models.TextChoices):
    PUBLIC = "public", "Open to all"
    BOARD = "board", "Executive representatives and chairs"


class SeriesQuerySet(models.QuerySet):
    def active(self) -> SeriesQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, access) -> SeriesQuerySet:
        return self if access.can_see_board else self.filter(audience=Audience.PUBLIC)


class Series(models.Model):
    class Kind(models.TextChoices):
        FORUM = "forum", "Topical Forum"
        GENERAL = "general", "General Meeting"
        BOARD = "board", "Executive Board"
        SUBTEAM = "subteam", "Sub-team meeting"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Every N weeks"
        MONTHLY = "monthly", "Monthly on the Nth weekday"
        EXPLICIT = "explicit", "On explicit dates"

    #: The group's rules (DESIGN.md) as defaults:
    #: cadence, interval, minutes, audience, days ahead the announcement goes out.
    KIND_DEFAULTS = {
        Kind.FORUM: (Cadence.MONTHLY, 1, 90, Audience.PUBLIC, 7),
        Kind.GENERAL: (Cadence.WEEKLY, 2, 60, Audience.PUBLIC, 3),
        Kind.BOARD: (Cadence.EXPLICIT, 1, 90, Audience.BOARD, 14),
        Kind.SUBTEAM: (Cadence.WEEKLY, 1, 60, Audience.PUBLIC, 3),
    }

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sub_team = models.ForeignKey(
        SubTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="series"
    )
    description = models.TextField(blank=True)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    cadence = models.CharField(max_length=16, choices=Cadence.choices)
    interval = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Every how many weeks (or months) it meets.",
    )
    monthly_ordinal = models.SmallIntegerField(
        default=1,
        choices=[(1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (-1, "last")],
        help_text="For monthly series: which weekday of the month.",
    )
    anchor = models.DateField(
        help_text="First meeting's week (or month): the rotation counts from here.",
    )
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    conference_link = models.URLField(blank=True, max_length=500)
    mailing_list = models.EmailField(
        blank=True, help_text="Announcements go to this list too (e.g. the User Committee list)."
    )
    announce_days_ahead = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(60)],
        help_text="How many days before each meeting its announcement goes out; 0: none.",
    )
    horizon_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeriesQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("meetings:series-detail", kwargs={"slug": self.slug})

    @classmethod
    def defaults_for(cls, kind: str) -> dict:
        cadence, interval, minutes, audience, announce = cls.KIND_DEFAULTS[cls.Kind(kind)]
        return {
            "cadence": cadence,
            "interval": interval,
            "duration_minutes": minutes,
            "audience": audience,
            "announce_days_ahead": announce,
        }

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)

    def rotation_slots(self) -> list[rotation.Slot]:
        return [slot.as_rotation_slot() for slot in self.slots.all()]

    def rotation_cadence(self) -> rotation.Cadence:
        if self.cadence == self.Cadence.WEEKLY:
            return rotation.EveryNWeeks(anchor=self.anchor, interval=self.interval)
        if self.cadence == self.Cadence.MONTHLY:
            return rotation.MonthlyNthWeekday(
                anchor=self.anchor, ordinal=self.monthly_ordinal, interval=self.interval
            )
        return rotation.ExplicitDates(dates=tuple(d.date for d in self.dates.all()))

    @property
    def main_zone(self) -> str:
        """The zone of its first slot: how the series is named in mails to a list."""
        slots = self.slots.all()
        return slots[0].zone if slots else "UTC"


class Slot(models.Model):
    """One slot of a series' rotation: a weekday and wall-clock time in an IANA zone."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveSmallIntegerField(default=0)
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (i, day)
            for i, day in enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        ]
    )
    local_time = models.TimeField()
    zone = TimeZoneField()

    class Meta:
        ordering = ["series", "position", "pk"]

    def __str__(self) -> str:
        return str(self.as_rotation_slot())

    def as_rotation_slot(self) -> rotation.Slot:
        return rotation.Slot(weekday=self.weekday, time=self.local_time, zone=self.zone)


class SeriesDate(models.Model):
    """A date of a series that meets on explicit dates (a date in the slot's zone)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="dates")
    date = models.DateField()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["series", "date"], name="series_date_once")]

    def __str__(self) -> str:
        return f"{self.series}: {self.date}"


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, access) -> MeetingQuerySet:
        if access.can_see_board:
            return self
        return self.filter(series__audience=Audience.PUBLIC)

    def upcoming(self, now: datetime.datetime | None = None) -> MeetingQuerySet:
        now = now or timezone.now()
        return self.filter(ends_at__gt=now).order_by("starts_at")

    def past(self, now: datetime.datetime | None = None) -> MeetingQuerySet:
        now = now or timezone.now()
        return self.filter(ends_at__lte=now).order_by("-starts_at")

    def with_published_notes(self) -> MeetingQuerySet:
        return self.filter(notes_published=True)

    def for_listing(self) -> MeetingQuerySet:
        return self.select_related("series", "slot")

    def for_calendar(self) -> MeetingQuerySet:
        """What a calendar event needs, and nothing more (notes can be long)."""
        return self.select_related("series", "slot").only(
            "uid", "revision", "updated_at", "created_at", "starts_at", "ends_at", "topic",
            "agenda", "status", "cancel_reason", "conference_link", "series__name",
            "series__audience", "series__conference_link", "slot__zone",
        )  # fmt: skip


class Meeting(models.Model):
    """One occurrence. `sequence_index` is k in the series' rotation; None for extra meetings."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        HELD = "held", "Held"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="meetings")
    sequence_index = models.IntegerField(null=True, blank=True)
    slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    topic = models.CharField(max_length=300, blank=True)
    agenda = models.TextField(blank=True, help_text="Markdown.")
    notes = models.TextField(blank=True, help_text="Public notes, Markdown.")
    members_notes = models.TextField(
        blank=True, help_text="Notes for logged-in members of the group only, Markdown."
    )
    notes_published = models.BooleanField(default=False)
    presenters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="presented_meetings"
    )
    presenting_companies = models.ManyToManyField(
        Company, blank=True, related_name="presented_meetings"
    )
    conference_link = models.URLField(
        blank=True, max_length=500, help_text="Leave empty to use the series' link."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    edited = models.BooleanField(
        default=False, help_text="Changed by hand: the rotation never overwrites it."
    )
    #: iCalendar SEQUENCE: grows on every change of time, place or status.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "sequence_index"],
                condition=Q(sequence_index__isnull=False),
                name="meeting_once_per_rotation_index",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["series", "starts_at"]),
            models.Index(
                fields=["-starts_at"],
                condition=Q(notes_published=True),
                name="meeting_published_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series} — {self.starts_at:%Y-%m-%d %H:%M} UTC"

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "A meeting must end after it starts."})

    @property
    def title(self) -> str:
        return f"{self.series.name}: {self.topic}" if self.topic else self.series.name

    @property
    def duration(self) -> datetime.timedelta:
        return self.ends_at - self.starts_at

    @property
    def effective_conference_link(self) -> str:
        return self.conference_link or self.series.conference_link

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_board(self) -> bool:
        return self.series.audience == Audience.BOARD

    @property
    def slot_zone(self) -> str:
        return self.slot.zone if self.slot_id else "UTC"


class Attendance(models.Model):
    """Who attended a meeting, for which company: a person, or a guest by name."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    guest_name = models.CharField(max_length=200, blank=True)
    guest_company = models.CharField(max_length=200, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="attendance"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "company__name", "person__full_name", "guest_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"],
                condition=Q(person__isnull=False),
                name="attendance_person_once",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(guest_name=""),
                name="attendance_person_or_guest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendee_name} at {self.meeting}"

    @property
    def attendee_name(self) -> str:
        return self.person.full_name if self.person_id else self.guest_name

    @property
    def company_name(self) -> str:
        return self.company.name if self.company_id else self.guest_company


class NoteRevision(models.Model):
    """Every saved version of a meeting's agenda or notes, with who saved it and when."""

    class Field(models.TextChoices):
        AGENDA = "agenda", "Agenda"
        NOTES = "notes", "Public notes"
        MEMBERS_NOTES = "members_notes", "Members-only notes"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="revisions")
    field = models.CharField(max_length=16, choices=Field.choices)
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["meeting", "field", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_field_display()} of {self.meeting} at {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: an uploaded name never becomes a path or a URL.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{instance.meeting_id}/{uuid.uuid4().hex}.{suffix}"


class Attachment(models.Model):
    """Slides or documents of a meeting; visible to whoever may see the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.title


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarToken(models.Model):
    """The secret in a person's private calendar feed URL; regenerating it kills the old URL."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar token of {self.person}"


class DeliveryQuerySet(models.QuerySet):
    def pending(self) -> DeliveryQuerySet:
        return self.filter(status=Delivery.Status.PENDING)


class Delivery(models.Model):
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

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        #: Refused for good by the recipient's server (5xx); nothing else ends a row unsent.
        FAILED = "failed", "Failed"
        #: Never sent, and never will be: its meeting was cancelled or is over.
        SUPERSEDED = "superseded", "Superseded"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    recipient = models.EmailField()
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    sequence = models.PositiveIntegerField()
    #: A resend of a kind to a recipient gets a new round, so it is a new row.
    round = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

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
        """Deterministic: a copy sent twice is the same message to every mail client."""
        host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        suffix = f".r{self.round}" if self.round else ""
        token = f"{self.meeting.uid}.{self.kind}.{self.sequence}{suffix}"
        digest = hashlib.sha256(self.recipient.lower().encode()).hexdigest()[:16]
        return f"<{token}.{digest}@{host or 'lcoo-portal'}>"


class Invitation(models.Model):
    """Someone invited to one meeting by name and address: a future executive
    representative welcomed at the Executive Board, a guest speaker."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    reason = models.CharField(max_length=300, blank=True)
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invited_at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "email"], name="invitation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} to {self.meeting}"
