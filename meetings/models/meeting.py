"""Meetings: their guarded changes, attendance, notes with their history,
attachments, invitations, and the secret of a person's calendar feed."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lcoo.models import Timestamped
from members.models import Company

from .series import Audience, Series, Slot


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


class Meeting(Timestamped):
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
    #: Cancelled because its series ended: reopening the series schedules it again.
    cancelled_with_series = models.BooleanField(default=False, editable=False)
    #: iCalendar SEQUENCE: grows on every change of time, place or status.
    revision = models.PositiveIntegerField(default=0)

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
    def is_extra(self) -> bool:
        """Added by hand outside the rotation: the rotation never moves nor cancels it."""
        return self.sequence_index is None

    @property
    def is_board(self) -> bool:
        return self.series.audience == Audience.BOARD

    @property
    def slot_zone(self) -> str:
        return self.slot.zone if self.slot_id else "UTC"

    # Guarded changes: pages, services, imports and the admin change a meeting's time,
    # place, status and texts through these only. Each raises ValidationError when the
    # change is not allowed, and saves what it changed unless `commit` is False (the
    # caller then saves, as a form does).

    def move(
        self,
        *,
        starts_at: datetime.datetime,
        ends_at: datetime.datetime,
        slot: Slot | None = None,
        conference_link: str | None = None,
        by_hand: bool = True,
        commit: bool = True,
    ) -> bool:
        """Give the meeting a new time, and a new slot or conference link if given.

        Moved by hand, it is edited: the rotation leaves it alone from then on. The
        rotation (`by_hand` False) moves only scheduled meetings nobody edited. Returns
        whether anything changed.
        """
        if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
            raise ValidationError("The start time must carry a time zone.")
        if ends_at <= starts_at:
            raise ValidationError({"ends_at": "A meeting must end after it starts."})
        if not by_hand and (self.edited or self.status != self.Status.SCHEDULED):
            raise ValidationError(
                "The rotation moves only scheduled meetings nobody changed by hand.",
                code="invalid_transition",
            )
        moved = (starts_at, ends_at) != (self.starts_at, self.ends_at)
        fields = ["starts_at", "ends_at"]
        self.starts_at, self.ends_at = starts_at, ends_at
        if slot is not None and slot.pk != self.slot_id:
            moved = True
            self.slot = slot
            fields.append("slot")
        relocated = conference_link is not None and conference_link != self.conference_link
        if relocated:
            self.conference_link = conference_link
            fields.append("conference_link")
        if not (moved or relocated):
            return False
        self._record_change(fields, edited=True if by_hand and moved else None, commit=commit)
        return True

    def relocate(self, *, commit: bool = True) -> None:
        """The series' conference link changed, and this meeting uses it: it moved place."""
        if self.conference_link:
            raise ValidationError("This meeting has a conference link of its own.")
        self._record_change([], commit=commit)

    def cancel(
        self, *, reason: str, by_hand: bool = True, with_series: bool = False, commit: bool = True
    ) -> None:
        """Call the meeting off. Cancelled by hand it is edited; the rotation (`by_hand`
        False) cancels only meetings nobody changed by hand. `with_series`: the series
        ended, which leaves the edited mark as it was (reopening gives the meeting back)."""
        if self.status != self.Status.SCHEDULED:
            raise ValidationError(
                f"A {self.get_status_display().lower()} meeting cannot be cancelled.",
                code="invalid_transition",
            )
        if not by_hand and not with_series and self.edited:
            raise ValidationError(
                "The rotation cancels only meetings nobody changed by hand.",
                code="invalid_transition",
            )
        if not reason.strip():
            raise ValidationError({"reason": "Say why the meeting is cancelled."})
        self.status, self.cancel_reason = self.Status.CANCELLED, reason.strip()
        self.cancelled_with_series = with_series
        fields = ["status", "cancel_reason", "cancelled_with_series"]
        edited = None if with_series else (True if by_hand else None)
        self._record_change(fields, edited=edited, commit=commit)

    def restore(self, *, by_hand: bool = True, commit: bool = True) -> None:
        """Schedule a cancelled meeting again. By hand it is edited, so the rotation
        cannot cancel it again; `by_hand` False gives it back to the rotation. One the
        series' end cancelled gets back the edited mark it had."""
        if self.status != self.Status.CANCELLED:
            raise ValidationError(
                "Only a cancelled meeting can be scheduled again.", code="invalid_transition"
            )
        edited = None if self.cancelled_with_series else by_hand
        self.status, self.cancel_reason = self.Status.SCHEDULED, ""
        self.cancelled_with_series = False
        fields = ["status", "cancel_reason", "cancelled_with_series"]
        self._record_change(fields, edited=edited, commit=commit)

    def mark_held(self, *, now: datetime.datetime | None = None, commit: bool = True) -> None:
        now = now or timezone.now()
        if self.status != self.Status.SCHEDULED:
            raise ValidationError(
                "Only a scheduled meeting can be marked as held.", code="invalid_transition"
            )
        if self.starts_at > now:
            raise ValidationError(
                "A meeting cannot be held before it starts.", code="invalid_transition"
            )
        self.status = self.Status.HELD
        self._record_change(["status"], news=False, commit=commit)

    def has_started(self, now: datetime.datetime | None = None) -> bool:
        return self.starts_at <= (now or timezone.now())

    def refuse_record_before_start(
        self, what: str, *, now: datetime.datetime | None = None
    ) -> None:
        """What happened (notes, attendance) is recorded once it may have happened: a
        record made before is a mistake (the wrong meeting) that would count as fact."""
        if not self.has_started(now):
            when = self.starts_at.astimezone(datetime.UTC).strftime("%d %b %Y %H:%M UTC")
            raise ValidationError(
                f"{what} can be recorded once the meeting has started ({when}); before "
                "that, only its agenda can be written.",
                code="not_started",
            )

    def edit_text(
        self,
        field: str,
        text: str,
        *,
        commit: bool = True,
        now: datetime.datetime | None = None,
    ) -> bool:
        """Replace the agenda or notes; returns whether the text changed. An announced
        meeting's new agenda is news: calendars and recipients hear of it. Notes wait
        until the meeting has started."""
        if field not in NoteRevision.Field.values:
            raise ValidationError(f"Unknown text: {field}.")
        if text == getattr(self, field):
            return False
        if field != NoteRevision.Field.AGENDA:
            self.refuse_record_before_start(NoteRevision.Field(field).label, now=now)
        setattr(self, field, text)
        news = field == NoteRevision.Field.AGENDA and self.deliveries.exists()
        self._record_change([field], news=news, commit=commit)
        return True

    def publish_notes(self, *, commit: bool = True) -> None:
        if not self.notes.strip():
            raise ValidationError("There are no public notes to publish yet.")
        self.notes_published = True
        self._record_change(["notes_published"], news=False, commit=commit)

    def unpublish_notes(self, *, commit: bool = True) -> None:
        self.notes_published = False
        self._record_change(["notes_published"], news=False, commit=commit)

    def _record_change(
        self, fields: list[str], *, news: bool = True, edited: bool | None = None, commit: bool
    ) -> None:
        """Where every guarded change lands. News (a change of time, place, status or an
        announced agenda) grows the calendar SEQUENCE, so calendars take the new version
        and an update goes to those told of the meeting. `edited` True marks a change by
        hand, which the rotation never overwrites; False gives the meeting back to the
        rotation; None leaves the mark as it is."""
        fields = [*fields, "updated_at"]
        if news:
            self.revision += 1
            fields.append("revision")
        if edited is not None:
            self.edited = edited
            fields.append("edited")
        if commit:
            self.save(update_fields=fields)


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


def calendar_token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256 (hex). A token is 256 random bits,
    so a plain hash cannot be reversed by guessing, and needs no key that could change."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarTokenQuerySet(models.QuerySet):
    def for_token(self, token: str) -> CalendarTokenQuerySet:
        """The entry of a token from a feed address: one lookup in the unique index."""
        return self.filter(token_hash=calendar_token_hash(token))


class CalendarToken(models.Model):
    """The secret in a person's private calendar feed URL, kept only as its hash: the token
    itself is shown once, when it is issued; issuing another kills the old URL."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now=True)

    objects = CalendarTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Calendar token of {self.person}"

    @classmethod
    def issue(cls, person) -> str:
        """A new token for `person`, replacing theirs; the raw token is returned, never kept."""
        token = new_calendar_token()
        cls.objects.update_or_create(
            person=person, defaults={"token_hash": calendar_token_hash(token)}
        )
        return token


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
