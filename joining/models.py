"""Join applications: a company's application, the delegates it proposes, its timeline.

The tables were created by the members app (its migration 0003) and keep their names.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from lcoo.models import optional_person
from meetings.models import Meeting
from members.models import Company, Role, TimeZoneField


class JoinApplication(models.Model):
    """A company's application to join, carried through the group's own procedure.

    The states follow the wiki page: the company's people take part in General Meetings,
    they say at one that their company wants to join, its executive representative is
    welcomed at the next Executive Board meeting. Transitions live in `services.py`.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Submitted (e-mail not confirmed yet)"
        CONFIRMED = "confirmed", "Confirmed"
        PARTICIPATING = "participating", "Taking part in General Meetings"
        DESIRE_EXPRESSED = "desire-expressed", "Desire to join expressed"
        WELCOME_SCHEDULED = "welcome-scheduled", "Welcome at the Executive Board scheduled"
        WELCOMED = "welcomed", "Welcomed: a member"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATES = (
        State.SUBMITTED,
        State.CONFIRMED,
        State.PARTICIPATING,
        State.DESIRE_EXPRESSED,
        State.WELCOME_SCHEDULED,
    )

    company_name = models.CharField(max_length=200)
    website = models.URLField(max_length=300)
    hq_timezone = TimeZoneField("headquarters time zone")
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_role = models.CharField("contact's role", max_length=200)
    interests = models.TextField("what the company wants to work on", max_length=4000)
    state = models.CharField(max_length=20, choices=State.choices, default=State.SUBMITTED)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    desire_meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    welcome_meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_token = models.CharField(max_length=64, unique=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "members_joinapplication"
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["state", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def executive(self) -> ProposedDelegate | None:
        return next((d for d in self.delegates.all() if d.kind == Role.Kind.EXECUTIVE), None)

    @property
    def coordinators(self) -> list[ProposedDelegate]:
        return [d for d in self.delegates.all() if d.kind == Role.Kind.COORDINATOR]


class ProposedDelegate(models.Model):
    """A coordinator or the executive representative the applicant proposes."""

    application = models.ForeignKey(
        JoinApplication, on_delete=models.CASCADE, related_name="delegates"
    )
    kind = models.CharField(
        max_length=16,
        choices=[(Role.Kind.COORDINATOR, "Coordinator"), (Role.Kind.EXECUTIVE, "Executive")],
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()

    class Meta:
        db_table = "members_proposeddelegate"
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ApplicationEvent(models.Model):
    """One step of an application's timeline: who moved it, when, at which meeting."""

    application = models.ForeignKey(
        JoinApplication, on_delete=models.CASCADE, related_name="events"
    )
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, choices=JoinApplication.State.choices)
    actor = optional_person()
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "members_applicationevent"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application.company_name}: {self.from_state or '—'} → {self.to_state}"
