"""A meeting's guarded changes: what each allows, and what calendars hear of."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from meetings.models import Delivery, Meeting
from tests.factories import MeetingFactory

HOUR = datetime.timedelta(hours=1)


def saved(meeting: Meeting) -> tuple:
    meeting.refresh_from_db()
    return (meeting.status, meeting.edited, meeting.revision)


@pytest.mark.django_db
def test_move_by_hand_marks_the_meeting_edited_and_grows_sequence():
    meeting = MeetingFactory()
    later = meeting.starts_at + HOUR

    assert meeting.move(starts_at=later, ends_at=later + HOUR) is True
    assert saved(meeting) == ("scheduled", True, 1)
    assert meeting.starts_at == later


@pytest.mark.django_db
def test_move_to_the_same_time_changes_nothing():
    meeting = MeetingFactory()

    assert meeting.move(starts_at=meeting.starts_at, ends_at=meeting.ends_at) is False
    assert saved(meeting) == ("scheduled", False, 0)


@pytest.mark.django_db
def test_new_conference_link_grows_sequence_without_marking_edited():
    meeting = MeetingFactory()

    meeting.move(
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        conference_link="https://meet.example.org/other",
    )

    assert saved(meeting) == ("scheduled", False, 1)


@pytest.mark.django_db
def test_rotation_does_not_move_an_edited_or_cancelled_meeting():
    edited, cancelled = MeetingFactory(edited=True), MeetingFactory(status="cancelled")

    for meeting in (edited, cancelled):
        later = meeting.starts_at + HOUR
        with pytest.raises(ValidationError):
            meeting.move(starts_at=later, ends_at=later + HOUR, by_hand=False)
    assert (saved(edited), saved(cancelled)) == (
        ("scheduled", True, 0),
        ("cancelled", False, 0),
    )


@pytest.mark.django_db
def test_move_refuses_naive_times_and_an_end_before_the_start():
    meeting = MeetingFactory()
    naive = meeting.starts_at.replace(tzinfo=None)

    with pytest.raises(ValidationError):
        meeting.move(starts_at=naive, ends_at=naive + HOUR)
    with pytest.raises(ValidationError):
        meeting.move(starts_at=meeting.starts_at, ends_at=meeting.starts_at)
    assert saved(meeting) == ("scheduled", False, 0)


@pytest.mark.django_db
def test_cancel_then_restore_by_hand_keeps_the_meeting_from_the_rotation():
    meeting = MeetingFactory()

    meeting.cancel(reason="  No quorum ")
    assert (saved(meeting), meeting.cancel_reason) == (("cancelled", True, 1), "No quorum")
    meeting.restore()
    assert (saved(meeting), meeting.cancel_reason) == (("scheduled", True, 2), "")


@pytest.mark.django_db
def test_restore_not_by_hand_gives_the_meeting_back_to_the_rotation():
    meeting = MeetingFactory(status="cancelled", edited=True, cancel_reason="Skipped")

    meeting.restore(by_hand=False)

    assert saved(meeting) == ("scheduled", False, 1)


@pytest.mark.django_db
def test_restore_refuses_a_meeting_that_is_not_cancelled():
    meeting = MeetingFactory(status="held")

    with pytest.raises(ValidationError):
        meeting.restore()
    assert saved(meeting) == ("held", False, 0)


@pytest.mark.django_db
def test_rotation_does_not_cancel_an_edited_meeting():
    meeting = MeetingFactory(edited=True)

    with pytest.raises(ValidationError):
        meeting.cancel(reason="No longer in the schedule", by_hand=False)
    assert saved(meeting) == ("scheduled", True, 0)


@pytest.mark.django_db
def test_mark_held_only_once_started_and_without_new_sequence():
    meeting = MeetingFactory()

    with pytest.raises(ValidationError):
        meeting.mark_held(now=meeting.starts_at - HOUR)
    meeting.mark_held(now=meeting.starts_at)

    assert saved(meeting) == ("held", False, 0)


@pytest.mark.django_db
def test_relocate_refuses_a_meeting_with_its_own_link():
    meeting = MeetingFactory(conference_link="https://meet.example.org/own")

    with pytest.raises(ValidationError):
        meeting.relocate()
    assert saved(meeting) == ("scheduled", False, 0)


@pytest.mark.django_db
def test_agenda_is_news_only_once_the_meeting_was_announced():
    meeting = MeetingFactory()

    assert meeting.edit_text("agenda", "1. Status") is True
    assert saved(meeting) == ("scheduled", False, 0)
    Delivery.objects.create(
        meeting=meeting, kind="announcement", recipient="a@example.org", sequence=0
    )
    meeting.edit_text("agenda", "1. Status\n2. Forum planning")
    meeting.edit_text("notes", "Notes are never news", now=meeting.starts_at)

    assert saved(meeting) == ("scheduled", False, 1)
    assert meeting.edit_text("agenda", meeting.agenda) is False


@pytest.mark.django_db
def test_edit_text_refuses_an_unknown_field():
    meeting = MeetingFactory()

    with pytest.raises(ValidationError):
        meeting.edit_text("topic", "Not a text with a history")
