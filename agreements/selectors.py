"""Read models of the register for pages: a meeting's memory, an item's history, a
company's participation. Each runs a fixed number of queries, whatever the data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from meetings.attendance import Participation
from meetings.models import Meeting
from members.models import Company, Person, today
from members.permissions import Access

from . import permissions
from .models import ActionItem, Agreement, ForumTopic, Position
from .permissions import Visibility

# A meeting's memory ----------------------------------------------------------------


@dataclass(frozen=True)
class MeetingMemory:
    decided: list[Agreement]
    discussed: list[Agreement]
    raised: list[ActionItem]
    carried_over: list[ActionItem]
    today: datetime.date
    #: Action items are raised at meetings that have started and were not cancelled.
    can_raise_here: bool = False

    def __bool__(self) -> bool:
        return bool(self.decided or self.discussed or self.raised or self.carried_over)


def meeting_memory(
    *, meeting: Meeting, access: Access, now: datetime.datetime | None = None
) -> MeetingMemory:
    """What the register says about a meeting, for the viewer: the agreements decided and
    discussed there, the action items raised there and, on the series' next meeting,
    the open action items carried over from earlier ones. Three queries."""
    now = now or timezone.now()
    agreements = list(
        Agreement.objects.visible_to(access)
        .filter(Q(decided_at=meeting) | Q(discussed_at=meeting))
        .select_related("proposing_company")
        .distinct()
        .order_by("title")
    )
    raised = list(ActionItem.objects.visible_to(access).filter(raised_at=meeting).for_listing())
    carried = list(
        ActionItem.objects.visible_to(access)
        .carried_over_to(meeting, now=now)
        .for_listing()
        .order_by("raised_at__starts_at", "due_on", "pk")
    )
    return MeetingMemory(
        decided=[a for a in agreements if a.decided_at_id == meeting.pk],
        discussed=[a for a in agreements if a.decided_at_id != meeting.pk],
        raised=raised,
        carried_over=carried,
        today=now.date(),
        can_raise_here=meeting.starts_at <= now and meeting.status != Meeting.Status.CANCELLED,
    )


# An item's history -----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    text: str
    date: datetime.date | None = None


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    who: Person | None
    changes: list[Change]
    note: str = ""
    #: On the entry where the item became superseded: the item replacing it, if the
    #: viewer may see it.
    superseded_by: Agreement | None = None


#: Fields shown as "X changed" without their values (long texts, links to other rows).
_QUIET_FIELDS = {
    "title": "title",
    "slug": "address",
    "summary": "summary",
    "body": "text",
    "proposing_company": "proposing company",
    "proposed_by": "proposer",
    "proposed_on": "date proposed",
    "decided_at": "meeting of the decision",
    "supersedes": "superseded agreement",
}


def agreement_history(*, agreement: Agreement, access: Access) -> list[HistoryEntry]:
    """Every recorded change of the item and of the companies' positions on it, newest
    first, as the viewer may see it (the item superseding it only if they may see that).
    Two queries (three when `superseded_by` was not selected with the item)."""
    successor = agreement.successor
    if successor is not None and not permissions.can_see_agreement(access, successor):
        successor = None
    # (when, order at the same instant, entry): the item's creation comes first, then the
    # positions taken, then the changes of status.
    timeline: list[tuple[datetime.datetime, int, HistoryEntry]] = []
    previous = None
    for record in agreement.history.select_related("history_user").order_by(
        "history_date", "history_id"
    ):
        created = previous is None or record.history_type == "+"
        if created:
            changes = [Change("recorded in the register")]
        else:
            delta = record.diff_against(previous, excluded_fields=["created_at"])
            changes = [c for c in map(_describe_change, delta.changes) if c is not None]
        previous = record
        if changes:
            entry = HistoryEntry(
                record.history_date,
                record.history_user,
                changes,
                _note(record.history_change_reason, changes),
                successor if any(c.text.endswith("→ superseded") for c in changes) else None,
            )
            timeline.append((record.history_date, 0 if created else 2, entry))
    last_stance: dict[int, str] = {}
    for record in (
        Position.history.filter(agreement_id=agreement.pk)
        .select_related("history_user", "company")
        .order_by("history_date", "history_id")
    ):
        company = record.company.name if record.company else "A former member company"
        stance = Position.Stance(record.stance).label.lower()
        if record.history_type == "-":
            text = f"{company} withdrew its position"
            last_stance.pop(record.company_id, None)
        elif last_stance.get(record.company_id, stance) != stance:
            text = f"{company} {stance} (was: {last_stance[record.company_id]})"
        else:
            text = f"{company} {stance}"
        if record.history_type != "-":
            last_stance[record.company_id] = stance
        entry = HistoryEntry(record.history_date, record.history_user, [Change(text)])
        timeline.append((record.history_date, 1, entry))
    timeline.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [entry for _, _, entry in timeline]


def _describe_change(change) -> Change | None:
    if change.field == "decided_at" and change.old is None:
        return None  # said by the status and the date of the decision
    if change.field == "status":
        old, new = (Agreement.Status(v).label.lower() for v in (change.old, change.new))
        return Change(f"status: {old} → {new}")
    if change.field == "visibility":
        old, new = (Visibility(v).label for v in (change.old, change.new))
        return Change(f"visible to: {old} → {new}")
    if change.field == "decided_on":
        if change.new:
            return Change("date of the decision:", change.new)
        return Change("decision cleared")
    return Change(f"{_QUIET_FIELDS.get(change.field, change.field.replace('_', ' '))} changed")


def _note(reason: str | None, changes: list[Change]) -> str:
    # The reason repeats the status label for plain status changes: show it only when
    # it says more (a note typed by the person). Older records name the superseding
    # item in the reason ("Superseded by …"), which may be more restricted than this
    # one: the entry's `superseded_by` says it to those who may see it.
    if not reason or reason in {"Edited", "Proposed"} or reason.startswith("Superseded by "):
        return ""
    if any(c.text.endswith(f"→ {reason.lower()}") for c in changes):
        return ""
    return reason


# A company's participation ---------------------------------------------------------


@dataclass(frozen=True)
class CompanyRecord:
    company: Company
    attended: list[Meeting]
    presented: list[Meeting]
    topics_proposed: list[ForumTopic]
    topics_interested: list[ForumTopic]
    proposals: list[Agreement]
    positions: list[Position]
    action_items: list[ActionItem]
    today: datetime.date = field(default_factory=today)

    @property
    def attended_by_kind(self) -> list[tuple[str, int]]:
        return Participation.of_meetings(self.company.name, self.attended).by_kind_label


def company_participation(
    *, company: Company, access: Access, now: datetime.datetime | None = None
) -> CompanyRecord:
    """What a company did in the group, as far as the viewer may see: meetings its people
    attended (held meetings), forums it presented at, topics it proposed or wants,
    proposals it made, positions it took, action items it holds. Seven queries."""
    now = now or timezone.now()
    meetings = Meeting.objects.visible_to(access).select_related("series", "slot")
    attended = list(
        meetings.filter(status=Meeting.Status.HELD, attendance__company=company)
        .distinct()
        .order_by("-starts_at")
    )
    presented = list(
        meetings.filter(presenting_companies=company, ends_at__lte=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at")
    )
    topics = list(
        ForumTopic.objects.filter(Q(proposed_by_company=company) | Q(interested_companies=company))
        .select_related("forum__series", "forum__slot")
        .distinct()
        .order_by("-created_at")
    )
    proposals = list(
        Agreement.objects.visible_to(access)
        .filter(proposing_company=company)
        .order_by("-proposed_on", "-pk")
    )
    positions = list(
        Position.objects.filter(
            company=company, agreement__visibility__in=permissions.visibilities_for(access)
        )
        .select_related("agreement")
        .order_by("-recorded_at")
    )
    action_items = list(
        ActionItem.objects.visible_to(access).filter(company=company).for_listing().open_first()
    )
    return CompanyRecord(
        company=company,
        attended=attended,
        presented=presented,
        topics_proposed=[t for t in topics if t.proposed_by_company_id == company.pk],
        topics_interested=[t for t in topics if t.proposed_by_company_id != company.pk],
        proposals=proposals,
        positions=positions,
        action_items=action_items,
        today=now.date(),
    )


def positions_by_company(agreement: Agreement) -> list[dict]:
    """Every member company with its position on the item, or none yet. Two queries."""
    positions = {
        p.company_id: p for p in agreement.positions.select_related("company", "recorded_by")
    }
    rows = [
        {"company": company, "position": positions.pop(company.pk, None)}
        for company in Company.objects.members().only("name", "slug")
    ]
    # Positions of companies that have since left stay on the record.
    rows += [{"company": p.company, "position": p} for p in positions.values()]
    return rows


def visible_meetings_prefetch(access: Access) -> Prefetch:
    return Prefetch(
        "discussed_at",
        queryset=Meeting.objects.visible_to(access).select_related("series", "slot"),
        to_attr="visible_discussed_at",
    )
