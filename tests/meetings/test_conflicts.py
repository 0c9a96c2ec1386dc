import datetime

import pytest
from django.utils import timezone

from meetings import services
from meetings.services import Planned, find_conflicts
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def weekly(name, *slots, link="", audience="public", now=NOW):
    series = SeriesFactory(
        name=name,
        interval=1,
        conference_link=link,
        audience=audience,
        anchor=now.date(),
        horizon_months=6,
    )
    for position, (weekday, hour, minute, zone) in enumerate(slots):
        SlotFactory(
            series=series,
            position=position,
            weekday=weekday,
            local_time=datetime.time(hour, minute),
            zone=zone,
        )
    services.extend_series(series=series, now=now)
    return series


@pytest.mark.django_db
def test_conflicts_between_slots_of_one_series():
    # Sunday 23:00 in Los Angeles is Monday 07:00 UTC: the next week's Monday 08:00 Paris
    # slot starts at the same instant.
    series = weekly(
        "Ends of the week", (6, 23, 0, "America/Los_Angeles"), (0, 8, 0, "Europe/Paris")
    )

    conflicts = services.series_conflicts(series, now=NOW)

    assert conflicts
    assert {c.reason for c in conflicts} == {"same series"}
    assert conflicts[0].planned.start == conflicts[0].other.start == utc(2026, 1, 5, 7)


@pytest.mark.django_db
def test_conflicts_between_parallel_meetings_of_same_audience_follow_dst():
    paris = weekly("Paris", (1, 15, 0, "Europe/Paris"))
    weekly("New York", (1, 9, 0, "America/New_York"))

    conflicts = services.series_conflicts(paris, now=NOW)

    days = [c.planned.start.date() for c in conflicts]
    # The US changes clocks on 8 March, Europe on 29 March: for three Tuesdays the
    # meetings are an hour apart; every other Tuesday they collide.
    gap = {datetime.date(2026, 3, 10), datetime.date(2026, 3, 17), datetime.date(2026, 3, 24)}
    all_tuesdays = {m.starts_at.date() for m in paris.meetings.all()}
    assert set(days) == all_tuesdays - gap
    assert {c.reason for c in conflicts} == {"same audience"}


@pytest.mark.django_db
def test_conflict_across_midnight():
    late = SeriesFactory(name="Late", audience="board")
    MeetingFactory(series=late, starts_at=utc(2026, 2, 3, 23, 30), ends_at=utc(2026, 2, 4, 0, 30))

    conflicts = find_conflicts(
        [Planned(utc(2026, 2, 4, 0, 0), utc(2026, 2, 4, 1, 0), "Early")],
        audience="board",
        conference_link="",
    )

    assert [(c.other.label, c.reason) for c in conflicts] == [("Late", "same audience")]


@pytest.mark.django_db
def test_conflict_on_same_bridge_across_audiences():
    board = SeriesFactory(
        name="Board", audience="board", conference_link="https://meet.example.org/b"
    )
    MeetingFactory(series=board, starts_at=utc(2026, 2, 3, 13), ends_at=utc(2026, 2, 3, 14))

    same_bridge = find_conflicts(
        [Planned(utc(2026, 2, 3, 13, 30), utc(2026, 2, 3, 14, 30), "Forum")],
        audience="public",
        conference_link="https://meet.example.org/b",
    )
    other_bridge = find_conflicts(
        [Planned(utc(2026, 2, 3, 13, 30), utc(2026, 2, 3, 14, 30), "Forum")],
        audience="public",
        conference_link="https://meet.example.org/other",
    )

    assert [c.reason for c in same_bridge] == ["same conference bridge"]
    assert other_bridge == []


@pytest.mark.django_db
def test_cancelled_and_touching_meetings_do_not_conflict():
    series = SeriesFactory(name="Other")
    MeetingFactory(series=series, starts_at=utc(2026, 2, 3, 12), ends_at=utc(2026, 2, 3, 13))
    MeetingFactory(
        series=series,
        starts_at=utc(2026, 2, 3, 13),
        ends_at=utc(2026, 2, 3, 14),
        status="cancelled",
    )

    conflicts = find_conflicts(
        [Planned(utc(2026, 2, 3, 13), utc(2026, 2, 3, 14), "New")],
        audience="public",
        conference_link="",
    )

    assert conflicts == []


def test_overlapping_planned_occurrences_conflict_with_each_other(db):
    planned = [
        Planned(utc(2026, 3, 1, 10), utc(2026, 3, 1, 11, 30), "A"),
        Planned(utc(2026, 3, 1, 11), utc(2026, 3, 1, 12), "B"),
        Planned(utc(2026, 3, 1, 12), utc(2026, 3, 1, 13), "C"),
    ]

    conflicts = find_conflicts(planned, audience="public", conference_link="")

    assert [(c.planned.label, c.other.label, c.reason) for c in conflicts] == [
        ("A", "B", "same series")
    ]


@pytest.mark.django_db
def test_series_page_lists_overlaps_for_coordinators_only(client, coordinator):
    now = timezone.now()
    paris = weekly("Paris", (1, 15, 0, "Europe/Paris"), now=now)
    weekly("Paris again", (1, 15, 30, "Europe/Paris"), now=now)

    anonymous = client.get(paris.get_absolute_url()).content.decode()
    client.force_login(coordinator)
    coordinating = client.get(paris.get_absolute_url()).content.decode()

    assert "Overlaps" not in anonymous
    assert "Overlaps" in coordinating
    assert "same audience" in coordinating
