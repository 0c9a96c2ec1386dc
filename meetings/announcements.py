"""Deciding which meeting mail is due: announcements, reminders, updates and
cancellation notices.

Deciding and sending are apart. `decide_due` creates one Delivery row per message under
a unique constraint, in the same transaction as the decision, so deciding twice creates
nothing; the sender (meetings.sending) sends the rows. A row whose meeting was cancelled
(but for the cancellation notice) or is over is superseded instead of sent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from .audience import (
    announcement_recipients,
    audience_people,
    earlier_recipients,
    may_still_hear,
)
from .models import Delivery, Invitation, Meeting, Series

REMINDER_AHEAD = datetime.timedelta(hours=24)


def _rows(
    meeting: Meeting, kind: str, recipients: Iterable[tuple[str, int | None]]
) -> list[Delivery]:
    return [
        Delivery(meeting=meeting, kind=kind, recipient=address, person_id=pk)
        for address, pk in recipients
    ]


def plan_due(now: datetime.datetime, *, series: Series | None = None) -> list[Delivery]:
    """Every message that is due at `now` and not decided yet (of one series only, if
    given), as unsaved rows."""
    planned: list[Delivery] = []
    upcoming = Meeting.objects.filter(starts_at__gt=now).select_related("series")
    if series is not None:
        upcoming = upcoming.filter(series=series)
    announced = Delivery.objects.filter(meeting=OuterRef("pk"), kind=Delivery.Kind.ANNOUNCEMENT)
    cancelled_notice = Delivery.objects.filter(
        meeting=OuterRef("pk"), kind=Delivery.Kind.CANCELLATION
    )
    invited = Invitation.objects.filter(meeting=OuterRef("pk"))
    # A series that ended announces and reminds of nothing from its end on.
    after_end = Q(series__ended_on__lte=F("starts_at"))

    # Announcements: N days ahead, once per meeting.
    due = upcoming.filter(
        ~Exists(announced),
        status=Meeting.Status.SCHEDULED,
        series__announce_days_ahead__gt=0,
    ).exclude(after_end)
    for meeting in due:
        if meeting.starts_at - datetime.timedelta(days=meeting.series.announce_days_ahead) > now:
            continue
        planned += _rows(meeting, Delivery.Kind.ANNOUNCEMENT, announcement_recipients(meeting))

    # Updates: a change of time, place or agenda after the announcement. What everyone
    # was told is the regular rounds' latest sequence: a resend to one person (a later
    # round) tells only that person.
    changed = (
        upcoming.filter(Exists(announced), status=Meeting.Status.SCHEDULED)
        .annotate(
            told=Max(
                "deliveries__sequence",
                filter=Q(
                    deliveries__kind__in=[Delivery.Kind.ANNOUNCEMENT, Delivery.Kind.UPDATE],
                    deliveries__round=0,
                ),
            )
        )
        .filter(revision__gt=F("told"))
    )
    for meeting in changed:
        planned += _rows(meeting, Delivery.Kind.UPDATE, earlier_recipients(meeting))

    # Cancellations of announced meetings, and of those someone was invited to by name
    # (their invitation told them of it).
    for meeting in upcoming.filter(
        Exists(announced) | Exists(invited),
        ~Exists(cancelled_notice),
        status=Meeting.Status.CANCELLED,
    ):
        planned += _rows(meeting, Delivery.Kind.CANCELLATION, earlier_recipients(meeting))

    # Reminders: a day ahead, to people who asked for them and may attend, including
    # those who opted in after the meeting's first reminders were decided. One per
    # person and meeting (a database constraint), whatever changed since. A series whose
    # announcements are off (imported ones, announced where they came from) has none.
    for meeting in upcoming.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__lte=now + REMINDER_AHEAD,
        series__announce_days_ahead__gt=0,
    ).exclude(after_end):
        reminded = set(
            meeting.deliveries.filter(kind=Delivery.Kind.REMINDER, round=0).values_list(
                "recipient", flat=True
            )
        )
        people = audience_people(meeting.series, meeting.starts_at.date()).filter(
            wants_reminders=True
        )
        planned += _rows(
            meeting,
            Delivery.Kind.REMINDER,
            [
                (address.lower(), pk)
                for pk, address in people.values_list("pk", "email")
                if address.lower() not in reminded
            ],
        )
    return planned


@transaction.atomic
def decide_due(now: datetime.datetime | None = None, *, series: Series | None = None) -> int:
    """Create the Delivery rows of every message due at `now` (of one series only, if
    given: benchmarks and tests). Returns how many."""
    now = now or timezone.now()
    supersede_stale(now)
    planned = plan_due(now, series=series)
    if not planned:
        return 0
    # Lock the meetings concerned, so two deciders at once cannot both decide.
    list(
        Meeting.objects.select_for_update()
        .filter(pk__in={row.meeting.pk for row in planned})
        .values_list("pk", flat=True)
    )
    for row in planned:
        row.sequence, row.next_attempt_at = row.meeting.revision, now
    before = Delivery.objects.count()
    Delivery.objects.bulk_create(planned, batch_size=2000, ignore_conflicts=True)
    return Delivery.objects.count() - before


@transaction.atomic
def resend(
    *,
    meeting: Meeting,
    kind: str,
    recipient: str | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Send one kind again, to everyone it went to or to one recipient, as a new round."""
    now = now or timezone.now()
    earlier = meeting.deliveries.filter(kind=kind)
    if recipient:
        earlier = earlier.filter(recipient=recipient.lower())
    # Only to those who may still hear of it: a resend of the board's agenda never
    # reaches a former executive, nor a list that may no longer hear it.
    targets = dict(may_still_hear(meeting, dict(earlier.values_list("recipient", "person_id"))))
    if not targets:
        return 0
    next_round = (meeting.deliveries.filter(kind=kind).aggregate(r=Max("round"))["r"] or 0) + 1
    Delivery.objects.bulk_create(
        [
            Delivery(
                meeting=meeting,
                kind=kind,
                recipient=address,
                person_id=pk,
                sequence=meeting.revision,
                round=next_round,
                next_attempt_at=now,
            )
            for address, pk in targets.items()
        ]
    )
    return len(targets)


def supersede_stale(now: datetime.datetime | None = None) -> int:
    """Mark superseded every unsent row of a cancelled meeting (its cancellation notice
    goes instead) and of a meeting that is over. Returns how many.

    Every sender batch runs this, with thousands of rows waiting: it looks at the few
    meetings that have unsent mail first, and updates rows only of those that are off.
    """
    now = now or timezone.now()
    unsent = Delivery.objects.pending(now)
    waiting = set(unsent.values_list("meeting_id", flat=True).distinct())
    if not waiting:
        return 0
    off = Meeting.objects.filter(pk__in=waiting).filter(
        Q(status=Meeting.Status.CANCELLED) | Q(ends_at__lte=now)
    )
    superseded = 0
    for meeting_id, status, ends_at in off.values_list("pk", "status", "ends_at"):
        rows = unsent.filter(meeting_id=meeting_id)
        if status == Meeting.Status.CANCELLED and ends_at > now:
            rows = rows.exclude(kind=Delivery.Kind.CANCELLATION)
        superseded += rows.update(status=Delivery.Status.SUPERSEDED, claimed_until=None)
    return superseded
