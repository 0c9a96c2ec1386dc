"""Meeting series: their kind, audience, cadence and rotating slots."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Protocol

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from lcoo.models import Timestamped, optional_person
from members.models import SubTeam, TimeZoneField

from .. import rotation


class Audience(models.TextChoices):
    PUBLIC = "public", "Open to all"
    BOARD = "board", "Executive representatives and chairs"


class SeriesQuerySet(models.QuerySet):
    def active(self) -> SeriesQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, access) -> SeriesQuerySet:
        return self if access.can_see_board else self.filter(audience=Audience.PUBLIC)


class CadenceSettings(Protocol):
    """What a rotation's cadence is made of: a series', saved or in a form, or an import's
    plan of one."""

    cadence: str
    anchor: datetime.date
    interval: int
    monthly_ordinal: int


def rotation_cadence(
    series: CadenceSettings, dates: Iterable[datetime.date] = ()
) -> rotation.Cadence:
    """The rotation's cadence of a series' settings (`dates`: for one on explicit dates)."""
    if series.cadence == Series.Cadence.WEEKLY:
        return rotation.EveryNWeeks(anchor=series.anchor, interval=series.interval)
    if series.cadence == Series.Cadence.MONTHLY:
        return rotation.MonthlyNthWeekday(
            anchor=series.anchor, ordinal=series.monthly_ordinal, interval=series.interval
        )
    return rotation.ExplicitDates(dates=tuple(dates))


class Series(Timestamped):
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
    mailing_list_private = models.BooleanField(
        "the list is the audience's own",
        default=False,
        help_text=(
            "Only for a series not open to all: the list reaches nobody but this series' "
            "audience (say, the board's own closed list), so it may hear the agenda."
        ),
    )
    announce_days_ahead = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(60)],
        help_text="How many days before each meeting its announcement goes out; 0: none.",
    )
    horizon_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    is_active = models.BooleanField(
        default=True, help_text="Generating: the rotation creates its meetings."
    )
    #: Ended: from this instant on the series no longer meets (its later meetings are
    #: cancelled, nothing more is announced); None while it runs.
    ended_on = models.DateTimeField(null=True, blank=True, editable=False)
    end_reason = models.CharField(max_length=300, blank=True, editable=False)
    ended_by = optional_person(editable=False)

    objects = SeriesQuerySet.as_manager()

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    def clean(self) -> None:
        super().clean()
        if self.is_ended and self.is_active:
            raise ValidationError(
                {"is_active": "This series has ended: reopen it to have it meet again."}
            )
        if self.mailing_list and not self.list_may_hear:
            raise ValidationError(
                {
                    "mailing_list": (
                        "This series is not open to all: its announcements carry what only "
                        "its audience may read. Name a list only if it reaches nobody else, "
                        "and say so below."
                    )
                }
            )

    @property
    def list_may_hear(self) -> bool:
        """The series' mailing list may get its mail: the series is open to all, or its
        list is the audience's own."""
        return self.audience == Audience.PUBLIC or self.mailing_list_private

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
        # The dates are read only for a series on explicit dates.
        return rotation_cadence(self, dates=(d.date for d in self.dates.all()))

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
