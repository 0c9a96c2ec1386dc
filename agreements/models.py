"""The group's memory: proposals and agreements, action items and forum topics.

One register holds proposals and agreements: an item is proposed, maybe discussed, then
agreed or declined at a meeting (or withdrawn); an agreed item is superseded when a newer
agreement that replaces it is agreed. Member companies take positions on open items,
one company, one voice. Action items are raised at meetings and carried over to the
series' next meeting until they are closed. Companies propose topics for the Topical
Forums; a General Meeting assigns a topic and its presenters to an upcoming forum.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from lcoo.models import Timestamped, optional_person
from meetings.models import Audience, Meeting, Series
from members.models import Company, today

from .permissions import VISIBILITY_RANK, Visibility
from .querysets import ActionItemQuerySet, AgreementQuerySet, ForumTopicQuerySet

#: Slugs that name pages under /agreements/ and so cannot name an agreement.
RESERVED_SLUGS = frozenset(
    {"new", "action-items", "forum-topics", "companies", "feed", "register", "topics", "manage"}
)


def meeting_date(meeting: Meeting) -> datetime.date:
    """The meeting's calendar date where it is held (in its slot's zone)."""
    return meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.slot_zone)).date()


def validate_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            "“%(value)s” names a page of the register; choose another address.",
            params={"value": value},
            code="reserved_slug",
        )


class Topic(models.Model):
    """A subject that agreements are filed under (upgrades, edge, security…)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agreement(Timestamped):
    """A proposal and, once decided, an agreement (or a declined proposal)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        IN_DISCUSSION = "in-discussion", "In discussion"
        AGREED = "agreed", "Agreed"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SUPERSEDED = "superseded", "Superseded"

    OPEN_STATUSES = (Status.PROPOSED, Status.IN_DISCUSSION)
    DECIDED_STATUSES = (Status.AGREED, Status.DECLINED, Status.SUPERSEDED)
    #: Allowed status changes. Superseding happens when the agreement that replaces this
    #: one is agreed (services.change_agreement_status), never by hand.
    TRANSITIONS = {
        Status.PROPOSED: (Status.IN_DISCUSSION, Status.AGREED, Status.DECLINED, Status.WITHDRAWN),
        Status.IN_DISCUSSION: (Status.AGREED, Status.DECLINED, Status.WITHDRAWN),
        Status.AGREED: (Status.SUPERSEDED,),
        Status.DECLINED: (),
        Status.WITHDRAWN: (),
        Status.SUPERSEDED: (),
    }

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, validators=[validate_not_reserved])
    summary = models.TextField(
        max_length=1000, help_text="One or two sentences in plain text: what is proposed."
    )
    body = models.TextField(blank=True, help_text="The full text, Markdown.")
    proposing_company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposed_agreements",
        help_text="Empty for a proposal of the chairs on behalf of the whole group.",
    )
    proposed_by = optional_person(related_name="proposed_agreements")
    proposed_on = models.DateField(default=today)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    decided_at = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_agreements",
        verbose_name="decided at meeting",
    )
    decided_on = models.DateField(null=True, blank=True)
    discussed_at = models.ManyToManyField(
        Meeting,
        blank=True,
        related_name="discussed_agreements",
        verbose_name="discussed at meetings",
    )
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
        help_text="The earlier agreement this one replaces once it is agreed.",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="agreements")
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )

    #: The weighted search document (`querysets.search_vector()`), kept by a PostgreSQL
    #: trigger on every insert and update (migration 0003), with a GIN index on it: the
    #: search filters and ranks on the stored vector instead of parsing each matching
    #: body again. Empty on other databases, which search by substrings.
    search_document = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "search_document"])
    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["agreed", "declined", "superseded"])
                | Q(decided_on__isnull=False),
                name="agreement_decided_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["proposed", "in-discussion", "withdrawn"])
                | Q(decided_on__isnull=True, decided_at__isnull=True),
                name="agreement_undecided_has_no_decision",
            ),
        ]
        indexes = [
            models.Index(fields=["visibility", "status", "-proposed_on"]),
            models.Index(fields=["visibility", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agreements:detail", kwargs={"slug": self.slug})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def allowed_transitions(self) -> list[Agreement.Status]:
        """What a person may move the item to (superseding is automatic)."""
        return [
            s for s in self.TRANSITIONS[self.Status(self.status)] if s != self.Status.SUPERSEDED
        ]

    def clean(self) -> None:
        errors = {}
        # Errors go on fields the editing form has (the decision is made elsewhere).
        if self.proposed_on and self.proposed_on > today():
            errors["proposed_on"] = "The date a proposal was made cannot be in the future."
        elif self.decided_on and self.proposed_on and self.decided_on < self.proposed_on:
            errors["proposed_on"] = "A proposal cannot be dated after the decision on it."
        if self.supersedes_link_changed() and not self.is_open:
            # Superseding happens when the item is agreed: changing the link later would
            # leave an agreement superseded by nothing, or replaced without being superseded.
            errors["supersedes"] = (
                "What an item supersedes is settled while it is proposed or in discussion; "
                f"this one is {self.get_status_display().lower()}."
            )
        elif self.supersedes_id is not None:
            if self.pk is not None and self.supersedes_id == self.pk:
                errors["supersedes"] = "An agreement cannot supersede itself."
            elif self.supersedes.status not in (self.Status.AGREED, self.Status.SUPERSEDED):
                errors["supersedes"] = "Only an agreed item can be superseded."
            elif self.supersedes.superseded_by_id_or_none() not in (None, self.pk):
                errors["supersedes"] = "Another item already supersedes that agreement."
        if errors:
            raise ValidationError(errors)

    def supersedes_link_changed(self) -> bool:
        """Whether `supersedes` differs from the saved row's (or is set on a new item)."""
        if self.pk is None:
            return self.supersedes_id is not None
        saved = Agreement.objects.filter(pk=self.pk).values_list("supersedes_id", flat=True).first()
        return saved != self.supersedes_id

    @property
    def successor(self) -> Agreement | None:
        """The agreement that supersedes (or will supersede) this one, if any."""
        try:
            return self.superseded_by
        except Agreement.DoesNotExist:
            return None

    def superseded_by_id_or_none(self) -> int | None:
        return self.successor.pk if self.successor else None

    def move_to(
        self,
        status: str,
        *,
        meeting: Meeting | None = None,
        on: datetime.date | None = None,
        superseded_by: Agreement | None = None,
        now: datetime.datetime | None = None,
    ) -> None:
        """Change the status if the group's process allows it; raise ValidationError if not.

        Agreeing and declining happen at a meeting that has taken place: `meeting` is
        required and `on` (the decision's date) defaults to the meeting's date. The
        caller saves.
        """
        now = now or timezone.now()
        target = self.Status(status)
        current = self.Status(self.status)
        if target not in self.TRANSITIONS[current]:
            allowed = self.TRANSITIONS[current]
            hint = (
                "it can only become " + " or ".join(s.label.lower() for s in allowed) + "."
                if allowed
                else "that is final."
            )
            raise ValidationError(
                f"An item that is {current.label.lower()} cannot become "
                f"{target.label.lower()}: {hint}",
                code="invalid_transition",
            )
        if target in (self.Status.AGREED, self.Status.DECLINED):
            if meeting is None:
                raise ValidationError(
                    {"meeting": "Say at which meeting it was decided."}, code="decision_meeting"
                )
            if meeting.status == Meeting.Status.CANCELLED:
                raise ValidationError(
                    {"meeting": "That meeting was cancelled: nothing was decided there."},
                    code="decision_meeting",
                )
            if meeting.starts_at > now:
                raise ValidationError(
                    {"meeting": "That meeting has not taken place yet."}, code="decision_meeting"
                )
            on = on or meeting_date(meeting)
            if on > now.date() + datetime.timedelta(days=1):
                raise ValidationError(
                    {"decided_on": "A decision cannot be dated in the future."},
                    code="decision_date",
                )
            if self.proposed_on and on < self.proposed_on:
                raise ValidationError(
                    {"decided_on": "A proposal cannot be decided before it was proposed."},
                    code="decision_date",
                )
            self.decided_at, self.decided_on = meeting, on
        elif target == self.Status.SUPERSEDED and (
            superseded_by is None
            or superseded_by.supersedes_id != self.pk
            or superseded_by.status != self.Status.AGREED
        ):
            raise ValidationError(
                "An agreement is superseded only by the agreed item that replaces it.",
                code="invalid_transition",
            )
        self.status = target


class Position(models.Model):
    """A member company's position on an item: one company, one voice."""

    class Stance(models.TextChoices):
        AGREES = "agrees", "Agrees"
        OBJECTS = "objects", "Objects"
        ABSTAINS = "abstains", "Abstains"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="positions")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="positions")
    stance = models.CharField(max_length=16, choices=Stance.choices)
    comment = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["company__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "company"],
                name="position_one_voice_per_company",
                violation_error_message="This company has already taken a position on it.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.get_stance_display()} on {self.agreement}"


class ActionItem(Timestamped):
    """Something someone agreed to do, raised at a meeting."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    title = models.CharField(max_length=300)
    owner = optional_person(related_name="action_items")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    due_on = models.DateField("due date", null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    raised_at = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="action_items",
        verbose_name="raised at meeting",
    )
    agreement = models.ForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text="The agreement this item serves, if any.",
    )
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = optional_person()

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="action_item_closed_when_not_open",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["raised_at", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{reverse('agreements:action-items')}#action-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < (on or today())

    def clean(self) -> None:
        errors = {}
        if self.raised_at_id is not None:
            meeting = self.raised_at
            if meeting.status == Meeting.Status.CANCELLED:
                errors["raised_at"] = "That meeting was cancelled: nothing was raised there."
            if meeting.series.audience == Audience.BOARD and self.visibility != Visibility.BOARD:
                errors["visibility"] = (
                    "An action item raised at an Executive Board meeting is for the board only."
                )
            if self.due_on and self.due_on < meeting_date(meeting):
                errors["due_on"] = "The due date is before the meeting that raised the item."
        if (
            self.agreement_id is not None
            and "visibility" not in errors
            and VISIBILITY_RANK[Visibility(self.visibility)]
            < VISIBILITY_RANK[Visibility(self.agreement.visibility)]
        ):
            errors["visibility"] = (
                f"The agreement it serves is for “{self.agreement.get_visibility_display()}” "
                "only: the action item cannot be more open than that."
            )
        if errors:
            raise ValidationError(errors)

    def close(self, status: str, *, now: datetime.datetime | None = None) -> None:
        target = self.Status(status)
        if target == self.Status.OPEN:
            raise ValidationError("Closing an item marks it done or dropped.", code="invalid")
        if not self.is_open:
            raise ValidationError(
                f"This action item is already {self.get_status_display().lower()}.",
                code="invalid_transition",
            )
        self.status = target
        self.closed_at = now or timezone.now()

    def reopen(self) -> None:
        if self.is_open:
            raise ValidationError("This action item is open already.", code="invalid_transition")
        self.status = self.Status.OPEN
        self.closed_at = None
        self.closed_by = None


class ForumTopic(Timestamped):
    """A topic a company proposes for a Topical Forum; the backlog holds the open ones."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "In the backlog"
        SCHEDULED = "scheduled", "Scheduled"
        PRESENTED = "presented", "Presented"
        DROPPED = "dropped", "Dropped"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True, help_text="What the forum would cover, Markdown.")
    proposed_by_company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="proposed_forum_topics"
    )
    proposed_by = optional_person()
    interested_companies = models.ManyToManyField(
        Company, blank=True, related_name="forum_topic_interests"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    forum = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_topics",
        help_text="The Topical Forum it is presented at; its presenting companies are the forum's.",
    )
    assigned_at = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_forum_topics",
        verbose_name="assigned at General Meeting",
    )

    objects = ForumTopicQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "presented"]) | Q(forum__isnull=False),
                name="forum_topic_scheduled_has_forum",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agreements:forum-topic", kwargs={"slug": self.slug})

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PROPOSED, self.Status.SCHEDULED)

    def assign(self, *, forum: Meeting, at: Meeting, now: datetime.datetime | None = None) -> None:
        """Schedule the topic for an upcoming Topical Forum, as decided at a General
        Meeting; raise ValidationError when that is not possible. The caller saves."""
        now = now or timezone.now()
        errors = {}
        if not self.is_open:
            raise ValidationError(
                f"A {self.get_status_display().lower()} topic cannot be assigned to a forum.",
                code="invalid_transition",
            )
        if forum.series.kind != Series.Kind.FORUM:
            errors["forum"] = "Topics are assigned to Topical Forum meetings."
        elif forum.status == Meeting.Status.CANCELLED:
            errors["forum"] = "That forum is cancelled."
        elif forum.starts_at <= now:
            errors["forum"] = "That forum has already started; choose an upcoming one."
        if at.series.kind != Series.Kind.GENERAL:
            errors["general_meeting"] = "Forum topics are assigned at a General Meeting."
        elif at.status == Meeting.Status.CANCELLED:
            errors["general_meeting"] = "That General Meeting was cancelled."
        elif at.starts_at > now:
            errors["general_meeting"] = "That General Meeting has not taken place yet."
        if errors:
            raise ValidationError(errors)
        self.status = self.Status.SCHEDULED
        self.forum, self.assigned_at = forum, at

    def unassign(self) -> None:
        if self.status != self.Status.SCHEDULED:
            raise ValidationError("Only a scheduled topic can go back to the backlog.")
        self.status = self.Status.PROPOSED
        self.forum = self.assigned_at = None

    def mark_presented(self, *, now: datetime.datetime | None = None) -> None:
        now = now or timezone.now()
        if self.status != self.Status.SCHEDULED:
            raise ValidationError("Only a scheduled topic can be marked as presented.")
        if self.forum.status == Meeting.Status.CANCELLED or self.forum.ends_at > now:
            raise ValidationError(
                "The forum has not taken place: assign the topic to another forum instead."
            )
        self.status = self.Status.PRESENTED

    def drop(self) -> None:
        if self.status != self.Status.PROPOSED:
            raise ValidationError("Only a topic in the backlog can be dropped.")
        self.status = self.Status.DROPPED

    def restore(self) -> None:
        if self.status != self.Status.DROPPED:
            raise ValidationError("Only a dropped topic can come back to the backlog.")
        self.status = self.Status.PROPOSED
