"""Overlaps of planned meetings with each other and with meetings that share their
audience or conference bridge."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from members.permissions import ANONYMOUS, Access

from .models import Meeting, Series


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
