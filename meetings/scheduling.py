"""Workflows on series and meetings: the rotation's meetings, and coordinators' changes
of a meeting's time, place and status."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lcoo.pagecache import bump_data_version
from members.models import Company, Person

from . import notes, rotation
from .models import Attachment, Meeting, Series

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
    moved, to_create = 0, []
    planned_indexes = set()
    for occ in planned:
        planned_indexes.add(occ.index)
        if occ.index in past_indexes:
            continue
        slot = slot_rows[occ.slot_index]
        ends = occ.start.astimezone(datetime.UTC) + series.duration
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
            and meeting.move(starts_at=occ.start, ends_at=ends, slot=slot, by_hand=False)
        ):
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
            meeting.cancel(reason=CANCELLED_BY_SCHEDULE, by_hand=False)
            cancelled += 1
    return ExtendResult(created=created, moved=moved, cancelled=cancelled)


@transaction.atomic
def series_link_changed(*, series: Series, now: datetime.datetime | None = None) -> int:
    """The series' conference link changed: its future meetings without a link of their
    own moved place."""
    now = now or timezone.now()
    relocated = series.meetings.select_for_update().filter(ends_at__gt=now, conference_link="")
    for meeting in relocated:
        meeting.relocate()
    return len(relocated)


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
    # The length is elapsed time: added in UTC, not on the wall clock, so a meeting
    # across a clock change keeps its minutes.
    starts_at = starts_at.astimezone(datetime.UTC)
    meeting.move(
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=duration_minutes),
        conference_link=conference_link,
        commit=False,
    )
    meeting.topic = topic
    meeting.full_clean()
    meeting.save()
    if presenters is not None:
        meeting.presenters.set(presenters)
    if presenting_companies is not None:
        meeting.presenting_companies.set(presenting_companies)
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, reason: str) -> Meeting:
    meeting.cancel(reason=reason)
    return meeting


@transaction.atomic
def mark_held(*, meeting: Meeting, now: datetime.datetime | None = None) -> Meeting:
    meeting.mark_held(now=now)
    return meeting


@dataclass(frozen=True)
class EndResult:
    cancelled: int = 0


@transaction.atomic
def end_series(
    *,
    series: Series,
    from_instant: datetime.datetime,
    reason: str,
    by: Person | None,
    now: datetime.datetime | None = None,
) -> EndResult:
    """The series no longer meets from `from_instant` on: it stops generating, and its
    meetings still to come from then on are cancelled as any cancelled meeting is (those
    told of them get the cancellation notice; their pending mail is superseded). Past
    meetings stay as they were."""
    now = now or timezone.now()
    if timezone.is_naive(from_instant):
        raise ValidationError("The end must carry a time zone.")
    series = Series.objects.select_for_update().get(pk=series.pk)
    if series.is_ended:
        raise ValidationError("This series has ended already.", code="invalid_transition")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the series ends."})
    series.is_active, series.ended_on = False, from_instant
    series.end_reason, series.ended_by = reason, by
    series.save(update_fields=["is_active", "ended_on", "end_reason", "ended_by", "updated_at"])
    to_cancel = series.meetings.select_for_update().filter(
        status=Meeting.Status.SCHEDULED, starts_at__gte=max(from_instant, now)
    )
    cancelled = 0
    for meeting in to_cancel:
        meeting.cancel(reason=reason, with_series=True)
        cancelled += 1
    return EndResult(cancelled=cancelled)


@dataclass(frozen=True)
class ReopenResult:
    restored: int = 0
    extended: ExtendResult = ExtendResult()


@transaction.atomic
def reopen_series(*, series: Series, now: datetime.datetime | None = None) -> ReopenResult:
    """An ended series meets again: its meetings the end cancelled that are still to come
    are scheduled again (an update goes to those told of their cancellation), and the
    rotation generates from now on, reusing every occurrence it already has."""
    now = now or timezone.now()
    series = Series.objects.select_for_update().get(pk=series.pk)
    if not series.is_ended:
        raise ValidationError("This series has not ended.", code="invalid_transition")
    series.is_active, series.ended_on, series.end_reason, series.ended_by = True, None, "", None
    series.save(update_fields=["is_active", "ended_on", "end_reason", "ended_by", "updated_at"])
    restored = 0
    for meeting in series.meetings.select_for_update().filter(
        status=Meeting.Status.CANCELLED, cancelled_with_series=True, starts_at__gt=now
    ):
        meeting.restore(by_hand=False)
        restored += 1
    return ReopenResult(restored=restored, extended=extend_series(series=series, now=now))


@transaction.atomic
def add_extra_meeting(
    *,
    series: Series,
    starts_at: datetime.datetime,
    zone: str,
    duration_minutes: int | None = None,
    topic: str = "",
    agenda: str = "",
    by: Person | None = None,
    now: datetime.datetime | None = None,
) -> Meeting:
    """A one-off meeting of the series outside its rotation (no rotation index): the
    rotation never moves, cancels nor counts it. It is announced like the others."""
    now = now or timezone.now()
    if timezone.is_naive(starts_at):
        raise ValidationError("The start time must carry a time zone.")
    series = Series.objects.select_for_update().get(pk=series.pk)
    if series.is_ended:
        raise ValidationError("This series has ended: reopen it to add a meeting.")
    # In UTC first: a time in the fall-back hour (fold=1) never compares equal across zones.
    starts_at = starts_at.astimezone(datetime.UTC)
    if starts_at <= now:
        raise ValidationError({"starts_at": "An extra meeting is one still to come."})
    minutes = duration_minutes or series.duration_minutes
    # The same meeting posted twice (a replayed form) adds it once.
    if (
        series.meetings.filter(starts_at=starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .exists()
    ):
        raise ValidationError({"starts_at": "The series has a meeting at that time already."})
    meeting = Meeting(
        series=series,
        sequence_index=None,
        # A slot in its zone, if the series has one, so it shows in that zone.
        slot=series.slots.filter(zone=zone).first(),
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        topic=topic,
        edited=True,
    )
    meeting.full_clean()
    meeting.save()
    if agenda.strip():
        # Through the notes, so the agenda's history starts with its first version.
        notes.save_note(
            meeting=meeting, field="agenda", text=agenda, author=by, base_revision_id=None
        )
    return meeting


def may_restore(meeting: Meeting, now: datetime.datetime | None = None) -> bool:
    """A cancelled meeting still to come, of a series that has not ended."""
    return (
        meeting.status == Meeting.Status.CANCELLED
        and meeting.starts_at > (now or timezone.now())
        and not meeting.series.is_ended
    )


@transaction.atomic
def restore_meeting(*, meeting: Meeting, now: datetime.datetime | None = None) -> bool:
    """Schedule a cancelled meeting still to come again, by hand (the rotation leaves it
    alone). Returns False when it is scheduled already (a replayed request)."""
    now = now or timezone.now()
    meeting = Meeting.objects.select_for_update().select_related("series").get(pk=meeting.pk)
    if meeting.status == Meeting.Status.SCHEDULED:
        return False
    if meeting.status != Meeting.Status.CANCELLED:
        raise ValidationError("Only a cancelled meeting can be scheduled again.")
    if meeting.starts_at <= now:
        raise ValidationError("Only a meeting still to come can be scheduled again.")
    if meeting.series.is_ended:
        raise ValidationError("Its series has ended: reopen the series instead.")
    meeting.restore()
    return True


@transaction.atomic
def delete_attachment(*, attachment: Attachment) -> None:
    """Delete the attachment, and its file once the deletion is committed (a rolled-back
    deletion keeps its file)."""
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
