"""What happened has happened: notes and attendance wait until a meeting has started,
in the model (so admin and every caller obey) and on the coordinators' pages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from meetings import attendance, notes
from meetings.models import Attendance, NoteRevision
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory


@pytest.fixture
def next_meeting(db):
    series = SeriesFactory(name="General Meeting", slug="gm", kind="general")
    SlotFactory(series=series)
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=7)
    return MeetingFactory(
        series=series, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )


@pytest.mark.parametrize("field", ["notes", "members_notes"])
def test_notes_before_the_start_are_refused_by_the_model(next_meeting, field):
    with pytest.raises(ValidationError) as error:
        next_meeting.edit_text(field, "We decided things.")

    next_meeting.refresh_from_db()
    assert error.value.code == "not_started"
    assert getattr(next_meeting, field) == ""


def test_agenda_before_the_start_is_fine(next_meeting):
    changed = next_meeting.edit_text("agenda", "- Welcome\n")

    next_meeting.refresh_from_db()
    assert changed is True
    assert next_meeting.agenda == "- Welcome\n"


def test_notes_once_started_are_kept(next_meeting):
    after_start = next_meeting.starts_at + datetime.timedelta(minutes=5)

    changed = next_meeting.edit_text("notes", "Done.", now=after_start)

    next_meeting.refresh_from_db()
    assert changed is True
    assert next_meeting.notes == "Done."


def test_save_note_service_refuses_notes_before_the_start(next_meeting, coordinator):
    with pytest.raises(ValidationError):
        notes.save_note(
            meeting=next_meeting,
            field="notes",
            text="Early",
            author=coordinator,
            base_revision_id=None,
        )

    assert NoteRevision.objects.filter(meeting=next_meeting).count() == 0


def test_attendance_before_the_start_is_refused_by_the_service(next_meeting, coordinator):
    with pytest.raises(ValidationError) as error:
        attendance.record_attendance(
            meeting=next_meeting,
            people=[coordinator],
            guests=[("Gus", "Acme Cloud")],
            recorded_by=coordinator,
        )

    assert error.value.code == "not_started"
    assert Attendance.objects.count() == 0


def test_attendance_once_started_is_recorded(next_meeting, coordinator):
    rows = attendance.record_attendance(
        meeting=next_meeting,
        people=[coordinator],
        guests=[],
        recorded_by=coordinator,
        now=next_meeting.starts_at,
    )

    assert [row.person for row in rows] == [coordinator]


@pytest.mark.parametrize("field", ["notes", "members_notes"])
def test_notes_page_says_why_there_is_no_form_yet(client, coordinator, next_meeting, field):
    client.force_login(coordinator)

    response = client.get(reverse("meetings:text-edit", args=[next_meeting.pk, field]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "can be recorded once the meeting has started" in body
    assert "<textarea" not in body


def test_notes_post_before_the_start_is_refused_and_changes_nothing(
    client, coordinator, next_meeting
):
    client.force_login(coordinator)

    response = client.post(
        reverse("meetings:text-edit", args=[next_meeting.pk, "notes"]),
        {"text": "Decided early", "base_revision": ""},
    )

    next_meeting.refresh_from_db()
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [
        "Public notes can be recorded once the meeting has started: nothing is saved."
    ]
    assert next_meeting.notes == ""
    assert NoteRevision.objects.count() == 0


def test_agenda_page_still_offers_the_form_before_the_start(client, coordinator, next_meeting):
    client.force_login(coordinator)

    response = client.get(reverse("meetings:text-edit", args=[next_meeting.pk, "agenda"]))

    assert response.status_code == 200
    assert "<textarea" in response.content.decode()


def test_attendance_page_says_why_there_is_no_form_yet(client, coordinator, next_meeting):
    client.force_login(coordinator)

    response = client.get(reverse("meetings:attendance", args=[next_meeting.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Attendance can be recorded once the meeting has started" in body
    assert "Save attendance" not in body


def test_attendance_post_before_the_start_is_refused_and_changes_nothing(
    client, coordinator, next_meeting
):
    client.force_login(coordinator)

    response = client.post(
        reverse("meetings:attendance", args=[next_meeting.pk]),
        {"people": [coordinator.pk], "guests": "Gus, Acme Cloud"},
    )

    next_meeting.refresh_from_db()
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [
        "Attendance can be recorded once the meeting has started: nothing is saved."
    ]
    assert Attendance.objects.count() == 0
    assert next_meeting.status == "scheduled"


def test_not_started_page_is_for_coordinators_only(client, participant, next_meeting):
    client.force_login(participant)

    response = client.post(
        reverse("meetings:attendance", args=[next_meeting.pk]), {"guests": "Gus, Acme"}
    )

    assert response.status_code in (403, 404)
    assert Attendance.objects.count() == 0


def test_meeting_page_offers_notes_and_attendance_only_once_started(
    client, coordinator, next_meeting
):
    client.force_login(coordinator)
    attendance_url = reverse("meetings:attendance", args=[next_meeting.pk])

    before = client.get(next_meeting.get_absolute_url()).content.decode()
    next_meeting.starts_at = timezone.now() - datetime.timedelta(minutes=1)
    next_meeting.save()
    after = client.get(next_meeting.get_absolute_url()).content.decode()

    assert (attendance_url in before, "once it has started" in before) == (False, True)
    assert (attendance_url in after, "once it has started" in after) == (True, False)
