"""Who attended: the roll call, the board's quorum, participation by company and person."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from members.models import Company, Person, Role
from members.permissions import Access

from .models import Attendance, Meeting, Series


@transaction.atomic
def record_attendance(
    *,
    meeting: Meeting,
    people: list[Person],
    guests: list[tuple[str, str]],
    recorded_by: Person,
    now: datetime.datetime | None = None,
) -> list[Attendance]:
    """Set the roll call: exactly `people` (each for their company) and the named guests.

    A person attends for the company they work for, or else the company they hold a
    coordinator or executive role for on the meeting's day. Refused (ValidationError)
    before the meeting has started.
    """
    meeting.refuse_record_before_start("Attendance", now=now)
    meeting.attendance.exclude(person__in=people).filter(person__isnull=False).delete()
    meeting.attendance.filter(person__isnull=True).delete()
    already = set(meeting.attendance.values_list("person_id", flat=True))
    role_company = dict(
        Role.objects.active(meeting.starts_at.date())
        .filter(person__in=people, company__isnull=False)
        .values_list("person_id", "company_id")
    )
    rows = [
        Attendance(
            meeting=meeting,
            person=p,
            company_id=p.company_id or role_company.get(p.pk),
            recorded_by=recorded_by,
        )
        for p in people
        if p.pk not in already
    ]
    rows += [
        Attendance(
            meeting=meeting,
            guest_name=name.strip(),
            guest_company=company.strip(),
            company=Company.objects.filter(name__iexact=company.strip()).first(),
            recorded_by=recorded_by,
        )
        for name, company in guests
        if name.strip()
    ]
    Attendance.objects.bulk_create(rows)
    return list(meeting.attendance.select_related("person", "company"))


@dataclass(frozen=True)
class Quorum:
    present: tuple[str, ...]  # member companies whose executive attended
    member_count: int

    @property
    def needed(self) -> int:
        return self.member_count // 2 + 1

    @property
    def reached(self) -> bool:
        return len(self.present) >= self.needed


def board_quorum(meeting: Meeting) -> Quorum:
    """More than half of the member companies' executive representatives present."""
    day = meeting.starts_at.date()
    members = Company.objects.members_on(day)
    executives = Role.objects.active(day).filter(kind=Role.Kind.EXECUTIVE, company__in=members)
    attended = set(
        meeting.attendance.filter(person__isnull=False).values_list("person_id", flat=True)
    )
    present = sorted(
        {
            role.company.name
            for role in executives.select_related("company")
            if role.person_id in attended
        }
    )
    return Quorum(present=tuple(present), member_count=members.count())


@dataclass(frozen=True)
class Participation:
    """Held meetings attended, of a company or a person: how many of each kind of series
    (kind: count) and when the last one began."""

    name: str
    by_kind: dict[str, int]
    last_attended: datetime.datetime | None

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def by_kind_label(self) -> list[tuple[str, int]]:
        """(label of the kind, count), by label."""
        return sorted((Series.Kind(kind).label, count) for kind, count in self.by_kind.items())

    @classmethod
    def of_meetings(cls, name: str, meetings: Iterable[Meeting]) -> Participation:
        """Of these meetings (with their series), each counted once."""
        tally = participation_by((0, name, m.pk, m.series.kind, m.starts_at) for m in meetings)
        return tally.get(0, cls(name=name, by_kind={}, last_attended=None))


def participation_by(
    rows: Iterable[tuple[int, str, int, str, datetime.datetime]],
) -> dict[int, Participation]:
    """Rows of (who: an id, their name, meeting id, the series' kind, the meeting's start)
    tallied per who; a meeting counts once for each."""
    seen: dict[int, set[int]] = defaultdict(set)
    kinds: dict[int, Counter] = defaultdict(Counter)
    last: dict[int, datetime.datetime] = {}
    names: dict[int, str] = {}
    for key, name, meeting_id, kind, starts in rows:
        names[key] = name
        if meeting_id in seen[key]:
            continue
        seen[key].add(meeting_id)
        kinds[key][kind] += 1
        last[key] = max(last.get(key, starts), starts)
    return {
        key: Participation(name=names[key], by_kind=dict(kinds[key]), last_attended=last[key])
        for key in names
    }


_MEETING_COLUMNS = ("meeting_id", "meeting__series__kind", "meeting__starts_at")


def _held_attendance(access: Access | None) -> QuerySet[Attendance]:
    """Attendance at held meetings; with `access`, only at meetings that viewer may see
    (who attended the board is the board's business)."""
    rows = Attendance.objects.filter(meeting__status=Meeting.Status.HELD)
    if access is not None:
        rows = rows.filter(meeting__in=Meeting.objects.visible_to(access))
    return rows


def company_participation(access: Access | None = None) -> dict[int, Participation]:
    """Per company: meetings attended by kind (a meeting counts once per company)."""
    rows = _held_attendance(access).filter(company__isnull=False)
    return participation_by(rows.values_list("company_id", "company__name", *_MEETING_COLUMNS))


def people_participation(access: Access | None = None) -> list[Participation]:
    """Per person with any attendance at held meetings, most active first."""
    rows = _held_attendance(access).filter(person__isnull=False)
    people = participation_by(rows.values_list("person_id", "person__full_name", *_MEETING_COLUMNS))
    return sorted(people.values(), key=lambda p: (-p.total, p.name))
