"""Workflows only tests need: an extra meeting outside the rotation, one person's
participation; the private feed addresses a page shows."""

from __future__ import annotations

import datetime
import re

from django.db import transaction

from meetings.attendance import Participation, participation_by
from meetings.models import Meeting, Series
from members.models import Person


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


def person_participation(person: Person) -> Participation:
    rows = person.attendance.filter(meeting__status=Meeting.Status.HELD).values_list(
        "person_id", "person__full_name", "meeting_id", "meeting__series__kind",
        "meeting__starts_at",
    )  # fmt: skip
    empty = Participation(name=person.full_name, by_kind={}, last_attended=None)
    return participation_by(rows).get(person.pk, empty)


def shown_calendar_tokens(page) -> list[str]:
    """The tokens of the private feed addresses a page shows, in order."""
    return re.findall(r"/meetings/calendar/([A-Za-z0-9_-]+)\.ics", page.content.decode())
