"""What the dashboard tells each signed-in person needs doing, gathered from every app.

Each item is a `Pile`: how many rows hold the condition and the first few of them, two
queries whatever the data's size. Board material comes only through querysets already
narrowed to what the viewer may see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agreements.models import ActionItem
from joining.models import JoinApplication
from meetings.models import Attendance, Audience, Delivery, Meeting
from members.models import Company, Role
from members.permissions import Access

#: Rows shown per item; the count says how many more there are.
FIRST = 5
AGENDA_AHEAD = datetime.timedelta(days=14)
NOTES_BEHIND = datetime.timedelta(days=60)
QUIET_FOR = datetime.timedelta(days=183)
#: Applications that wait for the coordinators (the others wait for the applicant or a meeting).
WAITING_STATES = (
    JoinApplication.State.CONFIRMED,
    JoinApplication.State.PARTICIPATING,
    JoinApplication.State.DESIRE_EXPRESSED,
)


@dataclass(frozen=True)
class Pile:
    count: int
    rows: list[Any] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.rows)

    def __bool__(self) -> bool:
        return self.count > 0


def pile(queryset: QuerySet) -> Pile:
    rows = list(queryset[:FIRST])
    count = len(rows) if len(rows) < FIRST else queryset.count()
    return Pile(count=count, rows=rows)


@dataclass(frozen=True)
class BoardAtRisk:
    meeting: Meeting
    with_executive: int
    member_count: int

    @property
    def needed(self) -> int:
        return self.member_count // 2 + 1


def _live(meetings: QuerySet) -> QuerySet:
    return meetings.exclude(status=Meeting.Status.CANCELLED)


def next_meetings(access: Access, *, now: datetime.datetime) -> Pile:
    return pile(_live(Meeting.objects.visible_to(access).upcoming(now)).for_listing())


def open_action_items(person, access: Access) -> Pile:
    items = ActionItem.objects.visible_to(access).open().filter(owner=person)
    return pile(items.for_listing().order_by("due_on", "pk"))


def meetings_without_agenda(access: Access, *, now: datetime.datetime) -> Pile:
    meetings = _live(Meeting.objects.visible_to(access).upcoming(now)).filter(
        starts_at__lte=now + AGENDA_AHEAD, agenda=""
    )
    return pile(meetings.for_listing())


def notes_to_publish(access: Access, *, now: datetime.datetime) -> Pile:
    meetings = _live(Meeting.objects.visible_to(access).past(now)).filter(
        starts_at__gte=now - NOTES_BEHIND, notes_published=False
    )
    return pile(meetings.for_listing())


def overdue_action_items(access: Access, *, on: datetime.date) -> Pile:
    items = ActionItem.objects.visible_to(access).overdue(on)
    return pile(items.for_listing().order_by("due_on", "pk"))


def waiting_applications() -> Pile:
    applications = JoinApplication.objects.filter(state__in=WAITING_STATES).order_by(
        "submitted_at", "pk"
    )
    return pile(applications)


def failed_announcements(access: Access) -> Pile:
    failed = Q(deliveries__status=Delivery.Status.FAILED)
    meetings = (
        Meeting.objects.visible_to(access)
        .filter(failed)
        .annotate(failed_count=Count("deliveries", filter=failed))
        .for_listing()
        .order_by("-starts_at", "pk")
    )
    return pile(meetings)


def board_at_risk(*, now: datetime.datetime) -> BoardAtRisk | None:
    """The next board meeting, when fewer member companies than its quorum needs have an
    executive representative on its day: it cannot reach quorum whoever comes."""
    meeting = (
        _live(Meeting.objects.filter(series__audience=Audience.BOARD).upcoming(now))
        .for_listing()
        .first()
    )
    if meeting is None:
        return None
    day = meeting.starts_at.date()
    members = Company.objects.members_on(day)
    executives = Role.objects.active(day).filter(kind=Role.Kind.EXECUTIVE, company=OuterRef("pk"))
    counts = members.aggregate(
        total=Count("pk"), with_executive=Count("pk", filter=Exists(executives))
    )
    risk = BoardAtRisk(meeting, counts["with_executive"], counts["total"])
    return risk if risk.with_executive < risk.needed else None


def quiet_companies(*, now: datetime.datetime) -> Pile:
    """Member companies nobody of which attended a held meeting for six months (and that
    joined before that)."""
    since = now - QUIET_FOR
    attended = Attendance.objects.filter(
        company=OuterRef("pk"),
        meeting__status=Meeting.Status.HELD,
        meeting__starts_at__gte=since,
    )
    companies = (
        Company.objects.members()
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=since.date()))
        .exclude(Exists(attended))
        .order_by("name")
    )
    return pile(companies)


def dashboard_for(person, access: Access) -> dict[str, Any]:
    now = timezone.now()
    context: dict[str, Any] = {
        "next_meetings": next_meetings(access, now=now),
        "my_action_items": open_action_items(person, access),
    }
    if access.can_coordinate:
        context |= {
            "without_agenda": meetings_without_agenda(access, now=now),
            "notes_to_publish": notes_to_publish(access, now=now),
            "overdue_items": overdue_action_items(access, on=now.date()),
            "waiting_applications": waiting_applications(),
            "failed_announcements": failed_announcements(access),
        }
    if access.can_manage_roles:
        context["quiet_companies"] = quiet_companies(now=now)
        # Staff may manage roles without seeing the board: no board meeting's title for them.
        context["board_at_risk"] = board_at_risk(now=now) if access.can_see_board else None
    return context
