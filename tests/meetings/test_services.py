import datetime

import pytest
from django.core.exceptions import ValidationError

from meetings import attendance, dst, notes, scheduling
from meetings.models import Meeting, NoteRevision, Series, SeriesDate
from meetings.rotation import Slot
from members.models import Role
from tests.factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)
from tests.meetings import helpers

UTC = datetime.UTC
NOW = datetime.datetime(2026, 1, 1, tzinfo=UTC)

#: A meeting that has started: what happened at it may be recorded.
STARTED = datetime.datetime(2026, 1, 6, 13, tzinfo=datetime.UTC)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def rotating(db):
    series = SeriesFactory(anchor=datetime.date(2026, 1, 5), interval=2, horizon_months=12)
    SlotFactory(
        series=series, position=0, weekday=1, local_time=datetime.time(14), zone="Europe/Paris"
    )
    SlotFactory(
        series=series, position=1, weekday=2, local_time=datetime.time(8), zone="Asia/Tokyo"
    )
    SlotFactory(
        series=series,
        position=2,
        weekday=1,
        local_time=datetime.time(21),
        zone="America/Los_Angeles",
    )
    return series


@pytest.mark.django_db
def test_extend_series_creates_a_year_of_rotating_meetings(rotating):
    result = scheduling.extend_series(series=rotating, now=NOW)

    meetings = list(rotating.meetings.order_by("starts_at"))
    assert result.created == 26
    assert [m.sequence_index for m in meetings[:4]] == [0, 1, 2, 3]
    assert [m.slot.position for m in meetings[:4]] == [0, 1, 2, 0]
    assert [m.starts_at for m in meetings[:3]] == [
        utc(2026, 1, 6, 13),
        utc(2026, 1, 20, 23),
        utc(2026, 2, 4, 5),
    ]
    assert all(m.ends_at - m.starts_at == datetime.timedelta(hours=1) for m in meetings)


@pytest.mark.django_db
def test_extend_series_twice_creates_nothing_more(rotating):
    scheduling.extend_series(series=rotating, now=NOW)

    again = scheduling.extend_series(series=rotating, now=NOW)

    assert again == scheduling.ExtendResult(created=0, moved=0, cancelled=0)
    assert rotating.meetings.count() == 26


@pytest.mark.django_db
def test_extend_series_later_rolls_the_horizon_forward(rotating):
    scheduling.extend_series(series=rotating, now=NOW)

    later = scheduling.extend_series(series=rotating, now=NOW + datetime.timedelta(days=60))

    assert later.created == 4
    indexes = list(rotating.meetings.values_list("sequence_index", flat=True))
    assert sorted(indexes) == list(range(30))


@pytest.mark.django_db
def test_edited_meeting_survives_regeneration(rotating):
    scheduling.extend_series(series=rotating, now=NOW)
    meeting = rotating.meetings.get(sequence_index=3)
    moved_to = utc(2026, 2, 18, 9)
    scheduling.update_meeting(
        meeting=meeting, starts_at=moved_to, duration_minutes=90, topic="Moved", conference_link=""
    )
    slot = rotating.slots.get(position=0)
    slot.local_time = datetime.time(15)
    slot.save()

    result = scheduling.extend_series(series=rotating, now=NOW)

    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.topic, meeting.edited) == (moved_to, "Moved", True)
    assert result.moved == 8  # the other meetings of slot 0 moved to 15:00 Paris
    first = rotating.meetings.get(sequence_index=0)
    assert first.starts_at == utc(2026, 1, 6, 14)
    assert first.revision == 1


@pytest.mark.django_db
def test_cancelling_and_adding_a_meeting_do_not_disturb_the_rotation(rotating):
    scheduling.extend_series(series=rotating, now=NOW)
    before = list(rotating.meetings.order_by("sequence_index").values_list("starts_at", "slot"))
    scheduling.cancel_meeting(meeting=rotating.meetings.get(sequence_index=1), reason="Holiday")
    helpers.add_meeting(series=rotating, starts_at=utc(2026, 1, 27, 15), topic="Extra")

    scheduling.extend_series(series=rotating, now=NOW)

    after = list(
        rotating.meetings.filter(sequence_index__isnull=False)
        .order_by("sequence_index")
        .values_list("starts_at", "slot")
    )
    assert after == before
    assert rotating.meetings.get(sequence_index=1).status == Meeting.Status.CANCELLED
    assert rotating.meetings.filter(sequence_index__isnull=True).count() == 1


@pytest.mark.django_db
def test_removed_explicit_date_cancels_its_unedited_meeting(db):
    series = SeriesFactory(kind="board", audience="board", cadence="explicit")
    SlotFactory(series=series, local_time=datetime.time(15), zone="Europe/Paris")
    for day in (datetime.date(2026, 3, 12), datetime.date(2026, 9, 10)):
        SeriesDate.objects.create(series=series, date=day)
    scheduling.extend_series(series=series, now=NOW)
    SeriesDate.objects.filter(date=datetime.date(2026, 9, 10)).delete()

    result = scheduling.extend_series(series=series, now=NOW)

    assert result.cancelled == 1
    assert list(series.meetings.values_list("status", flat=True)) == ["scheduled", "cancelled"]


@pytest.mark.django_db
def test_past_meetings_are_never_changed(rotating):
    scheduling.extend_series(series=rotating, now=NOW)
    first = rotating.meetings.get(sequence_index=0)
    slot = rotating.slots.get(position=0)
    slot.local_time = datetime.time(10)
    slot.save()

    scheduling.extend_series(series=rotating, now=utc(2026, 1, 10))

    first.refresh_from_db()
    assert first.starts_at == utc(2026, 1, 6, 13)


@pytest.mark.django_db
def test_cancel_twice_refused_and_reason_required(rotating):
    meeting = MeetingFactory(series=rotating)

    with pytest.raises(ValidationError):
        scheduling.cancel_meeting(meeting=meeting, reason="  ")
    scheduling.cancel_meeting(meeting=meeting, reason="No quorum")
    with pytest.raises(ValidationError):
        scheduling.cancel_meeting(meeting=meeting, reason="Again")
    assert meeting.revision == 1


@pytest.mark.django_db
def test_update_meeting_refuses_naive_time(rotating):
    meeting = MeetingFactory(series=rotating)

    with pytest.raises(ValidationError):
        scheduling.update_meeting(
            meeting=meeting,
            starts_at=datetime.datetime(2030, 1, 1, 10),  # noqa: DTZ001 - the point of the test
            duration_minutes=60,
            topic="",
            conference_link="",
        )


@pytest.mark.django_db
def test_save_note_keeps_revisions_and_detects_conflicts(rotating):
    meeting = MeetingFactory(series=rotating, starts_at=STARTED)
    ann, bob = PersonFactory(full_name="Ann"), PersonFactory(full_name="Bob")
    first = notes.save_note(
        meeting=meeting, field="notes", text="v1", author=ann, base_revision_id=None
    )

    second = notes.save_note(
        meeting=meeting, field="notes", text="v2 by Ann", author=ann, base_revision_id=first.pk
    )
    with pytest.raises(notes.EditConflict) as conflict:
        notes.save_note(
            meeting=meeting, field="notes", text="v2 by Bob", author=bob, base_revision_id=first.pk
        )

    meeting.refresh_from_db()
    assert meeting.notes == "v2 by Ann"
    assert conflict.value.current == second
    assert list(meeting.revisions.values_list("text", "author__full_name")) == [
        ("v2 by Ann", "Ann"),
        ("v1", "Ann"),
    ]


@pytest.mark.django_db
def test_note_editing_presence_names_the_others(rotating):
    meeting = MeetingFactory(series=rotating)
    ann, bob = PersonFactory(full_name="Ann"), PersonFactory(full_name="Bob")

    alone = notes.note_editing_started(meeting=meeting, field="agenda", person=ann)
    together = notes.note_editing_started(meeting=meeting, field="agenda", person=bob)

    assert alone == []
    assert [entry["name"] for entry in together] == ["Ann"]


@pytest.mark.django_db
def test_publish_needs_notes(rotating):
    meeting = MeetingFactory(series=rotating)

    with pytest.raises(ValidationError):
        notes.publish_notes(meeting=meeting)
    meeting.notes = "Done."
    notes.publish_notes(meeting=meeting)
    assert Meeting.objects.get(pk=meeting.pk).notes_published is True


@pytest.mark.django_db
def test_board_quorum_needs_more_than_half_of_member_executives(db):
    board = SeriesFactory(kind="board", audience="board", cadence="explicit")
    meeting = MeetingFactory(series=board, starts_at=utc(2026, 6, 1, 13))
    executives = []
    for n in range(4):
        company = CompanyFactory(name=f"Member {n}")
        person = PersonFactory(company=company)
        RoleFactory(person=person, company=company, kind=Role.Kind.EXECUTIVE)
        executives.append(person)
    guest_only = CompanyFactory(name="Applicant", status="applicant", joined_on=None)
    recorder = PersonFactory()

    attendance.record_attendance(
        meeting=meeting,
        people=executives[:2],
        guests=[("Visitor", guest_only.name)],
        recorded_by=recorder,
    )
    two = attendance.board_quorum(meeting)
    attendance.record_attendance(
        meeting=meeting, people=executives[:3], guests=[], recorded_by=recorder
    )
    three = attendance.board_quorum(meeting)

    assert (two.needed, len(two.present), two.reached) == (3, 2, False)
    assert (len(three.present), three.reached) == (3, True)
    assert meeting.attendance.filter(person__isnull=True).count() == 0


@pytest.mark.django_db
def test_record_attendance_keeps_company_and_guests(rotating):
    meeting = MeetingFactory(series=rotating, starts_at=STARTED)
    company = CompanyFactory(name="Orange")
    person = PersonFactory(company=company)

    rows = attendance.record_attendance(
        meeting=meeting,
        people=[person],
        guests=[("Gina Guest", "orange"), ("Solo", "")],
        recorded_by=person,
    )

    assert sorted((r.attendee_name, r.company_name, r.company_id) for r in rows) == [
        ("Gina Guest", "Orange", company.pk),
        (person.full_name, "Orange", company.pk),
        ("Solo", "", None),
    ]


@pytest.mark.django_db
def test_participation_counts_each_meeting_once_per_company(rotating):
    company = CompanyFactory(name="Orange")
    people = PersonFactory.create_batch(2, company=company)
    held = MeetingFactory(series=rotating, status="held", starts_at=STARTED)
    MeetingFactory(series=rotating, status="scheduled")
    attendance.record_attendance(meeting=held, people=people, guests=[], recorded_by=people[0])

    summary = attendance.company_participation()

    assert summary[company.pk].by_kind == {"general": 1}
    assert helpers.person_participation(people[0]).total == 1


@pytest.mark.django_db
def test_dst_warning_when_paris_springs_forward_for_a_tokyo_slot(db):
    CompanyFactory(name="Orange", hq_timezone="Europe/Paris")
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    series = SeriesFactory()
    SlotFactory(series=series, weekday=2, local_time=datetime.time(9), zone="Asia/Tokyo")

    warnings = dst.dst_warnings(series=series, now=utc(2026, 3, 1))

    assert [(w.company, w.before, w.after) for w in warnings] == [
        ("Orange", "Wed 01:00", "Wed 02:00")
    ]
    assert warnings[0].change_at == utc(2026, 3, 29, 1)
    # The Wednesday meetings before and after, both at 09:00 in Tokyo (00:00 UTC).
    assert (warnings[0].before_at, warnings[0].after_at) == (utc(2026, 3, 25), utc(2026, 4, 1))
    assert warnings[0].slot == Slot(2, datetime.time(9), "Asia/Tokyo")


@pytest.mark.django_db
def test_dst_warning_for_slot_zone_change_seen_elsewhere(db):
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    series = SeriesFactory()
    SlotFactory(series=series, weekday=1, local_time=datetime.time(16), zone="Europe/Paris")

    warnings = dst.dst_warnings(series=series, now=utc(2026, 10, 1))

    assert [(w.company, w.before, w.after) for w in warnings] == [("NTT", "Tue 23:00", "Wed 00:00")]


@pytest.mark.django_db
def test_no_dst_warning_without_a_change_ahead(db):
    CompanyFactory(name="Jio", hq_timezone="Asia/Kolkata")
    series = SeriesFactory()
    SlotFactory(series=series, zone="Asia/Tokyo")

    assert dst.dst_warnings(series=series, now=utc(2026, 3, 1)) == []


def test_note_fields_match_meeting_fields():
    assert set(NoteRevision.Field.values) <= {f.name for f in Meeting._meta.fields}


def test_kind_defaults_follow_the_groups_rules():
    defaults = {kind: Series.defaults_for(kind) for kind in Series.Kind.values}

    assert defaults == {
        # Topical Forums: monthly, 90 minutes, open to all.
        "forum": {
            "cadence": "monthly",
            "interval": 1,
            "duration_minutes": 90,
            "audience": "public",
            "announce_days_ahead": 7,
        },
        # General Meetings: every two weeks, 60 minutes, open to anyone.
        "general": {
            "cadence": "weekly",
            "interval": 2,
            "duration_minutes": 60,
            "audience": "public",
            "announce_days_ahead": 3,
        },
        # Executive Board: 2-4 set dates a year, about 90 minutes, executives and chairs.
        "board": {
            "cadence": "explicit",
            "interval": 1,
            "duration_minutes": 90,
            "audience": "board",
            "announce_days_ahead": 14,
        },
        "subteam": {
            "cadence": "weekly",
            "interval": 1,
            "duration_minutes": 60,
            "audience": "public",
            "announce_days_ahead": 3,
        },
    }


@pytest.mark.django_db
def test_portal_agenda_edit_keeps_what_a_coordinator_saved_meanwhile(rotating):
    meeting = MeetingFactory(series=rotating, agenda="- Budget\n")
    stale = Meeting.objects.get(pk=meeting.pk)  # read before the coordinator's save
    cora = PersonFactory(full_name="Cora")
    notes.save_note(
        meeting=meeting, field="agenda", text="- Budget\n- Roadmap\n", author=cora,
        base_revision_id=None,
    )  # fmt: skip

    notes.edit_agenda(meeting=stale, change=lambda agenda: agenda + "- Welcome\n", author=None)

    meeting.refresh_from_db()
    assert meeting.agenda == "- Budget\n- Roadmap\n- Welcome\n"
    assert stale.agenda == meeting.agenda
    assert list(meeting.revisions.values_list("text", "author__full_name")) == [
        ("- Budget\n- Roadmap\n- Welcome\n", None),
        ("- Budget\n- Roadmap\n", "Cora"),
    ]
