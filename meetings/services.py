"""Workflows on series and meetings: generation, edits, notes, attendance."""

from __future__ import annotations

import calendar
import datetime
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from lcoo.pagecache import bump_data_version
from members.models import Company, Person, Role
from members.permissions import ANONYMOUS, Access

from . import rotation
from .models import Attendance, Meeting, NoteRevision, Series

CANCELLED_BY_SCHEDULE = "No longer in the series' schedule."


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


@dataclass(frozen=True)
class ExtendResult:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def planned_occurrences(
    series: Series, start: datetime.datetime, end: datetime.datetime
) -> list[rotation.Occurrence]:
    slots = series.rotation_slots()
    if not slots:
        return []
    return rotation.expand(series.rotation_cadence(), slots, start, end)


@transaction.atomic
def extend_series(*, series: Series, now: datetime.datetime | None = None) -> ExtendResult:
    """Create the series' meetings over its rolling horizon. Safe to run again and again.

    It never duplicates a meeting (one per rotation index, enforced by the database),
    never touches a past meeting or one a coordinator edited, moves unedited future
    meetings when the slots changed, and cancels unedited future meetings that the
    schedule no longer has.
    """
    now = now or timezone.now()
    series = Series.objects.select_for_update().get(pk=series.pk)
    if not series.is_active:
        return ExtendResult()
    horizon = add_months(now, series.horizon_months)
    slot_rows = list(series.slots.all())
    planned = planned_occurrences(series, now, horizon)
    existing = {
        m.sequence_index: m
        for m in series.meetings.filter(sequence_index__isnull=False, ends_at__gt=now)
    }
    # Rotation indexes already used by past meetings are history: never reuse them.
    past_indexes = set(
        series.meetings.filter(sequence_index__isnull=False, ends_at__lte=now).values_list(
            "sequence_index", flat=True
        )
    )
    created, moved, to_create = 0, 0, []
    planned_indexes = set()
    for occ in planned:
        planned_indexes.add(occ.index)
        if occ.index in past_indexes:
            continue
        slot = slot_rows[occ.slot_index]
        ends = occ.start + series.duration
        meeting = existing.get(occ.index)
        if meeting is None:
            to_create.append(
                Meeting(
                    series=series,
                    sequence_index=occ.index,
                    slot=slot,
                    starts_at=occ.start,
                    ends_at=ends,
                )
            )
        elif (
            not meeting.edited
            and meeting.status == Meeting.Status.SCHEDULED
            and (
                meeting.starts_at != occ.start
                or meeting.ends_at != ends
                or meeting.slot_id != slot.pk
            )
        ):
            meeting.starts_at, meeting.ends_at, meeting.slot = occ.start, ends, slot
            meeting.revision += 1
            meeting.save(update_fields=["starts_at", "ends_at", "slot", "revision", "updated_at"])
            moved += 1
    Meeting.objects.bulk_create(to_create)
    created = len(to_create)
    if created:
        bump_data_version()  # bulk_create sends no signal

    cancelled = 0
    for index, meeting in existing.items():
        if (
            index not in planned_indexes
            and not meeting.edited
            and meeting.status == Meeting.Status.SCHEDULED
            and meeting.starts_at < horizon
        ):
            meeting.status = Meeting.Status.CANCELLED
            meeting.cancel_reason = CANCELLED_BY_SCHEDULE
            meeting.revision += 1
            meeting.save(update_fields=["status", "cancel_reason", "revision", "updated_at"])
            cancelled += 1
    return ExtendResult(created=created, moved=moved, cancelled=cancelled)


@transaction.atomic
def series_link_changed(*, series: Series, now: datetime.datetime | None = None) -> int:
    """The series' conference link changed: its future meetings without a link of their
    own moved place, so their calendar SEQUENCE grows."""
    now = now or timezone.now()
    changed = series.meetings.filter(ends_at__gt=now, conference_link="").update(
        revision=F("revision") + 1, updated_at=now
    )
    bump_data_version()  # update() sends no signal
    return changed


def extend_all_series(*, now: datetime.datetime | None = None) -> dict[str, ExtendResult]:
    return {
        series.slug: extend_series(series=series, now=now) for series in Series.objects.active()
    }


@transaction.atomic
def update_meeting(
    *,
    meeting: Meeting,
    starts_at: datetime.datetime,
    duration_minutes: int,
    topic: str,
    conference_link: str,
    presenters: list[Person] | None = None,
    presenting_companies: list[Company] | None = None,
) -> Meeting:
    """A coordinator's edit of one meeting. A changed time marks it edited, so the
    rotation leaves it alone; a changed time or place grows its calendar SEQUENCE."""
    if timezone.is_naive(starts_at):
        raise ValidationError("The start time must carry a time zone.")
    ends_at = starts_at + datetime.timedelta(minutes=duration_minutes)
    moved = starts_at != meeting.starts_at or ends_at != meeting.ends_at
    relocated = conference_link != meeting.conference_link
    if moved:
        meeting.edited = True
    if moved or relocated:
        meeting.revision += 1
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    meeting.topic, meeting.conference_link = topic, conference_link
    meeting.full_clean()
    meeting.save()
    if presenters is not None:
        meeting.presenters.set(presenters)
    if presenting_companies is not None:
        meeting.presenting_companies.set(presenting_companies)
    return meeting


@transaction.atomic
def add_meeting(
    *,
    series: Series,
    starts_at: datetime.datetime,
    duration_minutes: int | None = None,
    topic: str = "",
) -> Meeting:
    """An extra meeting outside the rotation; it does not shift the others."""
    minutes = duration_minutes or series.duration_minutes
    meeting = Meeting(
        series=series,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        topic=topic,
        edited=True,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, reason: str) -> Meeting:
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(
            f"A {meeting.get_status_display().lower()} meeting cannot be cancelled."
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why the meeting is cancelled."})
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancel_reason = reason.strip()
    meeting.edited = True
    meeting.revision += 1
    meeting.save(update_fields=["status", "cancel_reason", "edited", "revision", "updated_at"])
    return meeting


@transaction.atomic
def mark_held(*, meeting: Meeting, now: datetime.datetime | None = None) -> Meeting:
    now = now or timezone.now()
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError("Only a scheduled meeting can be marked as held.")
    if meeting.starts_at > now:
        raise ValidationError("A meeting cannot be held before it starts.")
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["status", "updated_at"])
    return meeting


# Conflicts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """A meeting as planned: saved or not yet.

    A restricted one is a meeting the viewer may not see (a board meeting on a shared
    bridge): it keeps its times, to find the overlap, but no title and no id to link to.
    """

    start: datetime.datetime
    end: datetime.datetime
    label: str
    meeting_id: int | None = None
    restricted: bool = False


RESTRICTED_LABEL = "a restricted meeting"


@dataclass(frozen=True)
class Conflict:
    planned: Planned
    other: Planned
    reason: str  # "same series", "same audience" or "same conference bridge"


def _as_seen_by(meeting: Meeting, access: Access) -> Planned:
    if access.can_see_meeting(meeting):
        return Planned(meeting.starts_at, meeting.ends_at, meeting.title, meeting.pk)
    return Planned(meeting.starts_at, meeting.ends_at, RESTRICTED_LABEL, restricted=True)


def find_conflicts(
    planned: list[Planned],
    *,
    audience: str,
    conference_link: str,
    access: Access = ANONYMOUS,
    exclude_series_id: int | None = None,
) -> list[Conflict]:
    """Overlaps of `planned` with each other and with other scheduled meetings that share
    the audience or the conference bridge. Instants are UTC, so overlaps across midnight
    and daylight-saving changes are found like any other.

    Every overlap is reported, but one with a meeting the viewer (`access`) may not see
    comes without its title or id: the warning says the bridge is busy, not who holds
    it. Without `access` the viewer is anonymous, who sees least.
    """
    if not planned:
        return []
    first = min(p.start for p in planned)
    last = max(p.end for p in planned)
    shares = Q(series__audience=audience)
    if conference_link:
        shares |= Q(conference_link=conference_link) | Q(
            conference_link="", series__conference_link=conference_link
        )
    others = Meeting.objects.filter(
        shares, starts_at__lt=last, ends_at__gt=first, status=Meeting.Status.SCHEDULED
    ).select_related("series")
    if exclude_series_id is not None:
        others = others.exclude(series_id=exclude_series_id)
    own_ids = {p.meeting_id for p in planned if p.meeting_id}
    existing = [
        (
            _as_seen_by(m, access),
            "same conference bridge"
            if conference_link and m.effective_conference_link == conference_link
            else "same audience",
        )
        for m in others
        if m.pk not in own_ids
    ]
    conflicts = []
    ordered = sorted(planned, key=lambda p: p.start)
    for index, item in enumerate(ordered):
        for later in ordered[index + 1 :]:
            if later.start >= item.end:
                break
            conflicts.append(Conflict(item, later, "same series"))
        for other, reason in existing:
            if other.start < item.end and item.start < other.end:
                conflicts.append(Conflict(item, other, reason))
    return conflicts


def meeting_conflicts(meeting: Meeting, *, access: Access = ANONYMOUS) -> list[Conflict]:
    planned = [Planned(meeting.starts_at, meeting.ends_at, meeting.title, meeting.pk)]
    return find_conflicts(
        planned,
        audience=meeting.series.audience,
        conference_link=meeting.effective_conference_link,
        access=access,
    )


def series_conflicts(
    series: Series, *, access: Access = ANONYMOUS, now: datetime.datetime | None = None
) -> list[Conflict]:
    now = now or timezone.now()
    meetings = series.meetings.filter(ends_at__gt=now, status=Meeting.Status.SCHEDULED)
    planned = [Planned(m.starts_at, m.ends_at, series.name, m.pk) for m in meetings]
    return find_conflicts(
        planned,
        audience=series.audience,
        conference_link=series.conference_link,
        access=access,
    )


# Notes ------------------------------------------------------------------------------

EDITING_SECONDS = 15 * 60


def _editing_key(meeting: Meeting, field: str) -> str:
    return f"meetings:editing:{meeting.pk}:{field}"


def note_editing_started(*, meeting: Meeting, field: str, person: Person) -> list[dict]:
    """Record that `person` opened the text for editing; return the others editing it now."""
    key = _editing_key(meeting, field)
    now = timezone.now().timestamp()
    editors = {
        pk: entry
        for pk, entry in (cache.get(key) or {}).items()
        if now - entry["since"] < EDITING_SECONDS
    }
    others = [entry for pk, entry in editors.items() if pk != person.pk]
    editors[person.pk] = {"name": person.full_name, "since": now}
    cache.set(key, editors, EDITING_SECONDS)
    return others


def note_editing_finished(*, meeting: Meeting, field: str, person: Person) -> None:
    key = _editing_key(meeting, field)
    editors = cache.get(key) or {}
    editors.pop(person.pk, None)
    cache.set(key, editors, EDITING_SECONDS)


def latest_revision(meeting: Meeting, field: str) -> NoteRevision | None:
    return meeting.revisions.filter(field=field).first()


class EditConflict(Exception):
    """Someone saved the same text after the editor opened it."""

    def __init__(self, current: NoteRevision):
        super().__init__("The text was changed by someone else while you edited it.")
        self.current = current


@transaction.atomic
def save_note(
    *,
    meeting: Meeting,
    field: str,
    text: str,
    author: Person | None,
    base_revision_id: int | None,
) -> NoteRevision | None:
    """Save a new version of the agenda or notes, keeping the revision (`author` None:
    the portal itself, on behalf of someone without an account, e.g. an applicant).

    `base_revision_id` is the latest revision when the editor opened the text; if
    another one was saved since, nothing is overwritten: EditConflict carries it, so the
    editor can merge. Returns None when the text did not change.
    """
    if field not in NoteRevision.Field.values:
        raise ValidationError(f"Unknown text: {field}.")
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    current = latest_revision(meeting, field)
    if current is not None and current.pk != base_revision_id:
        raise EditConflict(current)
    if text == getattr(meeting, field) and current is not None:
        if author is not None:
            note_editing_finished(meeting=meeting, field=field, person=author)
        return None
    setattr(meeting, field, text)
    changed = [field, "updated_at"]
    if field == NoteRevision.Field.AGENDA and meeting.deliveries.exists():
        # An announced meeting's new agenda is news: a new calendar SEQUENCE, and an update.
        meeting.revision += 1
        changed.append("revision")
    meeting.save(update_fields=changed)
    revision = NoteRevision.objects.create(meeting=meeting, field=field, text=text, author=author)
    if author is not None:
        note_editing_finished(meeting=meeting, field=field, person=author)
    return revision


@transaction.atomic
def edit_agenda(
    *, meeting: Meeting, change: Callable[[str], str], author: Person | None
) -> NoteRevision | None:
    """Apply `change` to the agenda as it is now, under the meeting's lock: for the
    portal's own additions (a welcome on a board agenda), which must not overwrite what
    a coordinator saved a moment before."""
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    latest = latest_revision(current, NoteRevision.Field.AGENDA)
    revision = save_note(
        meeting=current,
        field=NoteRevision.Field.AGENDA,
        text=change(current.agenda),
        author=author,
        base_revision_id=latest.pk if latest else None,
    )
    meeting.agenda, meeting.revision = current.agenda, current.revision
    return revision


@transaction.atomic
def publish_notes(*, meeting: Meeting) -> Meeting:
    if not meeting.notes.strip():
        raise ValidationError("There are no public notes to publish yet.")
    meeting.notes_published = True
    meeting.save(update_fields=["notes_published", "updated_at"])
    return meeting


@transaction.atomic
def unpublish_notes(*, meeting: Meeting) -> Meeting:
    meeting.notes_published = False
    meeting.save(update_fields=["notes_published", "updated_at"])
    return meeting


# Attendance -------------------------------------------------------------------------


@transaction.atomic
def record_attendance(
    *,
    meeting: Meeting,
    people: list[Person],
    guests: list[tuple[str, str]],
    recorded_by: Person,
) -> list[Attendance]:
    """Set the roll call: exactly `people` (each for their company) and the named guests.

    A person attends for the company they work for, or else the company they hold a
    coordinator or executive role for on the meeting's day.
    """
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
    members = Company.objects.members().filter(joined_on__lte=day)
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
    name: str
    by_kind: dict[str, int]
    last_attended: datetime.datetime | None

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def company_participation(*, since: datetime.datetime | None = None) -> dict[int, Participation]:
    """Per company: meetings attended by kind (a meeting counts once per company)."""
    rows = Attendance.objects.filter(company__isnull=False, meeting__status=Meeting.Status.HELD)
    if since:
        rows = rows.filter(meeting__starts_at__gte=since)
    seen: dict[int, set[int]] = defaultdict(set)
    kinds: dict[int, Counter] = defaultdict(Counter)
    last: dict[int, datetime.datetime] = {}
    names: dict[int, str] = {}
    for company_id, name, meeting_id, kind, starts in rows.values_list(
        "company_id", "company__name", "meeting_id", "meeting__series__kind", "meeting__starts_at"
    ):
        names[company_id] = name
        if meeting_id in seen[company_id]:
            continue
        seen[company_id].add(meeting_id)
        kinds[company_id][kind] += 1
        last[company_id] = max(last.get(company_id, starts), starts)
    return {
        cid: Participation(name=names[cid], by_kind=dict(kinds[cid]), last_attended=last[cid])
        for cid in names
    }


def people_participation() -> list[Participation]:
    """Per person with any attendance at held meetings, most active first."""
    kinds: dict[int, Counter] = defaultdict(Counter)
    last: dict[int, datetime.datetime] = {}
    names: dict[int, str] = {}
    rows = Attendance.objects.filter(
        person__isnull=False, meeting__status=Meeting.Status.HELD
    ).values_list("person_id", "person__full_name", "meeting__series__kind", "meeting__starts_at")
    for person_id, name, kind, starts in rows:
        names[person_id] = name
        kinds[person_id][kind] += 1
        last[person_id] = max(last.get(person_id, starts), starts)
    people = [
        Participation(name=names[pid], by_kind=dict(kinds[pid]), last_attended=last[pid])
        for pid in names
    ]
    return sorted(people, key=lambda p: (-p.total, p.name))


def person_participation(person: Person) -> Participation:
    rows = person.attendance.filter(meeting__status=Meeting.Status.HELD).values_list(
        "meeting__series__kind", "meeting__starts_at"
    )
    kinds: Counter = Counter()
    last = None
    for kind, starts in rows:
        kinds[kind] += 1
        last = max(last or starts, starts)
    return Participation(name=person.full_name, by_kind=dict(kinds), last_attended=last)


# Fairness and DST -------------------------------------------------------------------


def audience_zones() -> list[str]:
    """Headquarters zones of the member companies, then their people's zones."""
    members = Company.objects.members()
    zones = list(members.values_list("hq_timezone", flat=True))
    zones += list(
        Person.objects.filter(company__in=members, is_active=True)
        .order_by("time_zone")
        .values_list("time_zone", flat=True)
        .distinct()
    )
    return list(dict.fromkeys(zones))


@dataclass(frozen=True)
class DstWarning:
    """The slot's local time in the company's zone moves at `change_at`: from `before`
    (weekday and time there, the week before) to `after` (the day after); `before_at` and
    `after_at` are those occurrences' instants."""

    company: str
    zone: str
    change_at: datetime.datetime
    slot: rotation.Slot
    before: str
    after: str
    before_at: datetime.datetime
    after_at: datetime.datetime


def dst_warnings(
    *,
    series: Series,
    now: datetime.datetime | None = None,
    weeks: int = 8,
    companies: list[tuple[str, str]] | None = None,
) -> list[DstWarning]:
    """Coming DST changes that move a slot's local time in a member company's zone.

    A slot keeps its wall-clock time in its own zone; in another zone it moves when
    either zone changes its offset (Paris in March, Sydney in April, and so on).
    """
    now = now or timezone.now()
    end = now + datetime.timedelta(weeks=weeks)
    slots = series.rotation_slots()
    changes_by_zone: dict[str, list[datetime.datetime]] = {}

    def changes(zone: str) -> list[datetime.datetime]:
        if zone not in changes_by_zone:
            changes_by_zone[zone] = list(rotation.iter_dst_changes(zone, now, end))
        return changes_by_zone[zone]

    if companies is None:
        companies = list(Company.objects.members().values_list("name", "hq_timezone"))
    warnings = {}
    for company, zone in companies:
        for slot in slots:
            for change in sorted(set(changes(zone)) | set(changes(slot.zone))):
                before_at = _slot_instant(slot, (change - datetime.timedelta(days=7)).date())
                after_at = _slot_instant(slot, (change + datetime.timedelta(days=1)).date())
                before, after = (_local_label(t, zone) for t in (before_at, after_at))
                if before != after:
                    warnings[(company, change, str(slot))] = DstWarning(
                        company=company,
                        zone=zone,
                        change_at=change,
                        slot=slot,
                        before=before,
                        after=after,
                        before_at=before_at,
                        after_at=after_at,
                    )
    return sorted(warnings.values(), key=lambda w: (w.change_at, w.company, str(w.slot)))


def dst_warnings_for_series_visible_to(
    access: Access, *, now: datetime.datetime | None = None
) -> list[tuple[Series, list[DstWarning]]]:
    """The coming DST warnings of every active series `access` may see (the dashboard)."""
    result = []
    companies = list(Company.objects.members().values_list("name", "hq_timezone"))
    for series in Series.objects.active().visible_to(access).prefetch_related("slots"):
        warnings = dst_warnings(series=series, now=now, companies=companies)
        if warnings:
            result.append((series, warnings))
    return result


def _slot_instant(slot: rotation.Slot, near: datetime.date) -> datetime.datetime:
    """The slot's first occurrence on or after `near` (UTC)."""
    return slot.at(near + datetime.timedelta(days=(slot.weekday - near.weekday()) % 7))


def _local_label(instant: datetime.datetime, zone: str) -> str:
    """Weekday and time in `zone`: "Tue 14:00"."""
    return instant.astimezone(rotation.zone(zone)).strftime("%a %H:%M")


# Planner ----------------------------------------------------------------------------

PLANNER_CACHE_SECONDS = 3600


def planner_candidates(weekday: int) -> list[rotation.Slot]:
    """Every half hour (UTC) of the weekday: the times the planner chooses from."""
    return [
        rotation.Slot(weekday, datetime.time(hour, minute), "UTC")
        for hour in range(24)
        for minute in (0, 30)
    ]


def planner_cache_key(
    *,
    slots: list[rotation.Slot],
    zones: list[str],
    duration: datetime.timedelta,
    reference: datetime.date,
) -> str:
    material = repr(
        (
            [(slot.zone, slot.weekday, slot.time.isoformat()) for slot in slots],
            list(zones),
            len(slots),
            duration // datetime.timedelta(minutes=1),
            reference.isoformat(),
        )
    )
    return "meetings:planner:" + hashlib.sha256(material.encode()).hexdigest()


def planner_comparison(
    *,
    slots: list[rotation.Slot],
    zones: list[str],
    duration: datetime.timedelta,
    reference: datetime.date,
) -> dict:
    """The series' rotation beside the planner's best rotation of as many half-hour slots
    on its first slot's weekday, both scored over a year from `reference`.

    The answer is kept in the cache for an hour under the slots (zone, weekday, time),
    the audience zones, k, the meeting length and the day: the exact search takes tens
    of milliseconds, and every logged-in view of a series page asks for it. A rotation
    of more than rotation.PLAN_MAX_SLOTS slots gets no suggestion.
    """
    k = len(slots)
    key = planner_cache_key(slots=slots, zones=zones, duration=duration, reference=reference)
    result = cache.get(key)
    if result is None:
        current = rotation.evaluate_rotation(slots, zones, reference=reference, duration=duration)
        suggestion = None
        if k <= rotation.PLAN_MAX_SLOTS:
            suggestion = rotation.plan_rotation(
                planner_candidates(slots[0].weekday),
                zones,
                k,
                reference=reference,
                duration=duration,
            )
        result = {"current_plan": current, "suggested_plan": suggestion}
        cache.set(key, result, PLANNER_CACHE_SECONDS)
    return {**result, "planner_zones": zones, "planner_max_slots": rotation.PLAN_MAX_SLOTS}
