"""Staff change meetings in the admin under the same rules as the coordinators' pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import announcements
from meetings.models import Attendance, Delivery, Meeting, NoteRevision
from meetings.scheduling import extend_series
from tests.factories import SeriesFactory, SlotFactory

UTC = datetime.UTC
LIST = "user-committee@lists.example.org"


@pytest.fixture
def announced(db):
    """The next meeting of a weekly series, announced to the series' list."""
    series = SeriesFactory(
        name="General Meeting",
        interval=1,
        anchor=timezone.now().date(),
        announce_days_ahead=14,
        mailing_list=LIST,
    )
    SlotFactory(series=series, weekday=1, local_time=datetime.time(14), zone="Europe/Paris")
    extend_series(series=series)
    announcements.decide_due()
    return Meeting.objects.filter(series=series).order_by("starts_at").first()


@pytest.fixture
def staff_client(client, staff, with_mfa):
    client.force_login(with_mfa(staff))  # staff see times in UTC
    return client


def change_form(meeting: Meeting, **changes) -> dict:
    """The admin's change form of `meeting` as it stands, with `changes` applied."""
    starts = changes.pop("starts_at", meeting.starts_at).astimezone(UTC)
    ends = changes.pop("ends_at", meeting.ends_at).astimezone(UTC)
    data = {
        "series": meeting.series_id,
        "sequence_index": meeting.sequence_index,
        "slot": meeting.slot_id or "",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": ends.strftime("%Y-%m-%d"),
        "ends_at_1": ends.strftime("%H:%M:%S"),
        "topic": meeting.topic,
        "agenda": meeting.agenda,
        "notes": meeting.notes,
        "members_notes": meeting.members_notes,
        "conference_link": meeting.conference_link,
        "status": meeting.status,
        "cancel_reason": meeting.cancel_reason,
    }
    for prefix in ("attendance", "attachments", "invitations"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


def post(client, meeting: Meeting, **changes):
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    return client.post(url, change_form(meeting, **changes))


def deliveries(meeting: Meeting) -> list[tuple[str, str, int]]:
    return list(meeting.deliveries.order_by("pk").values_list("kind", "recipient", "sequence"))


@pytest.mark.django_db
def test_moving_a_meeting_in_the_admin_marks_it_edited_and_announces_the_change(
    staff_client, announced
):
    later = announced.starts_at + datetime.timedelta(hours=2)

    response = post(
        staff_client, announced, starts_at=later, ends_at=later + datetime.timedelta(hours=1)
    )
    announcements.decide_due()

    announced.refresh_from_db()
    assert response.status_code == 302
    assert (announced.starts_at, announced.edited, announced.revision) == (later, True, 1)
    assert deliveries(announced) == [("announcement", LIST, 0), ("update", LIST, 1)]


@pytest.mark.django_db
def test_extend_series_keeps_a_meeting_moved_in_the_admin(staff_client, announced):
    later = announced.starts_at + datetime.timedelta(hours=2)
    post(staff_client, announced, starts_at=later, ends_at=later + datetime.timedelta(hours=1))

    result = extend_series(series=announced.series)

    announced.refresh_from_db()
    assert result.moved == 0
    assert (announced.starts_at, announced.revision) == (later, 1)


@pytest.mark.django_db
def test_cancelling_in_the_admin_sends_the_cancellation(staff_client, announced):
    response = post(staff_client, announced, status="cancelled", cancel_reason="No quorum")
    announcements.decide_due()

    announced.refresh_from_db()
    assert response.status_code == 302
    assert (announced.status, announced.cancel_reason) == ("cancelled", "No quorum")
    assert (announced.edited, announced.revision) == (True, 1)
    assert deliveries(announced) == [("announcement", LIST, 0), ("cancellation", LIST, 1)]


@pytest.mark.django_db
def test_scheduling_a_cancelled_meeting_again_in_the_admin_keeps_it_from_the_rotation(
    staff_client, announced
):
    post(staff_client, announced, status="cancelled", cancel_reason="No quorum")
    announced.refresh_from_db()

    response = post(staff_client, announced, status="scheduled", cancel_reason="No quorum")

    announced.refresh_from_db()
    assert response.status_code == 302
    assert (announced.status, announced.cancel_reason) == ("scheduled", "")
    assert (announced.edited, announced.revision) == (True, 2)


@pytest.mark.django_db
def test_agenda_changed_in_the_admin_is_news_and_kept_in_the_history(
    staff, staff_client, announced
):
    response = post(staff_client, announced, agenda="1. Roll call\n2. Forum planning")
    announcements.decide_due()

    announced.refresh_from_db()
    revision = NoteRevision.objects.get(meeting=announced)
    assert response.status_code == 302
    assert (announced.edited, announced.revision) == (False, 1)
    assert (revision.field, revision.text, revision.author) == ("agenda", announced.agenda, staff)
    assert deliveries(announced) == [("announcement", LIST, 0), ("update", LIST, 1)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"status": "held"}, "A meeting cannot be held before it starts."),
        ({"status": "cancelled", "cancel_reason": ""}, "Say why the meeting is cancelled."),
    ],
)
def test_forbidden_change_in_the_admin_shows_an_error_and_changes_nothing(
    staff_client, announced, changes, error
):
    later = announced.starts_at + datetime.timedelta(hours=2)
    before = Meeting.objects.filter(pk=announced.pk).values().get()

    response = post(
        staff_client,
        announced,
        starts_at=later,
        ends_at=later + datetime.timedelta(hours=1),
        **changes,
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert Meeting.objects.filter(pk=announced.pk).values().get() == before
    assert Delivery.objects.filter(meeting=announced).count() == 1


@pytest.mark.django_db
def test_held_meeting_cannot_be_scheduled_again_in_the_admin(staff_client, announced):
    Meeting.objects.filter(pk=announced.pk).update(status="held")
    announced.refresh_from_db()

    response = post(staff_client, announced, status="scheduled")

    announced.refresh_from_db()
    assert response.status_code == 200
    assert "A held meeting cannot be scheduled again." in response.content.decode()
    assert (announced.status, announced.revision) == ("held", 0)


@pytest.mark.django_db
def test_admin_publishes_notes_only_through_the_meetings_rule(staff_client, announced):
    started = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=10)
    Meeting.objects.filter(pk=announced.pk).update(
        starts_at=started, ends_at=started + datetime.timedelta(hours=1)
    )
    announced.refresh_from_db()
    empty = post(staff_client, announced, notes="", notes_published="on")
    announced.refresh_from_db()
    refused_published = announced.notes_published

    written = post(staff_client, announced, notes="We agreed.", notes_published="on")
    announced.refresh_from_db()

    assert empty.status_code == 200
    assert "There are no public notes to publish yet." in empty.content.decode()
    assert refused_published is False
    assert written.status_code == 302
    assert (announced.notes, announced.notes_published) == ("We agreed.", True)


@pytest.mark.django_db
def test_admin_keeps_a_meeting_in_its_series_and_place(staff_client, announced):
    other = SeriesFactory(name="Other")
    place = (announced.series_id, announced.sequence_index)

    response = post(staff_client, announced, series=other.pk, sequence_index=99)
    announced.refresh_from_db()

    assert response.status_code == 302
    assert (announced.series_id, announced.sequence_index) == place


@pytest.mark.django_db
def test_admin_refuses_notes_before_the_meeting_has_started(staff_client, announced):
    response = post(staff_client, announced, notes="We agreed early.")

    announced.refresh_from_db()
    assert response.status_code == 200
    assert "can be recorded once the meeting has started" in response.content.decode()
    assert announced.notes == ""


@pytest.mark.django_db
def test_admin_refuses_attendance_before_the_meeting_has_started(staff_client, announced):
    data = change_form(announced)
    data.update(
        {
            "attendance-TOTAL_FORMS": "1",
            "attendance-0-guest_name": "Gus",
            "attendance-0-guest_company": "Acme Cloud",
            "attendance-0-meeting": announced.pk,
        }
    )

    response = staff_client.post(
        reverse("admin:meetings_meeting_change", args=[announced.pk]), data
    )

    assert response.status_code == 200
    assert "Attendance can be recorded once the meeting has started" in response.content.decode()
    assert Attendance.objects.count() == 0
