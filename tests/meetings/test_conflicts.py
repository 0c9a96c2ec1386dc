import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import rotation, scheduling
from meetings.conflicts import Planned, find_conflicts, meeting_conflicts, series_conflicts
from members.permissions import ANONYMOUS, compute_access
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 1, 1, tzinfo=UTC)
BRIDGE = "https://meet.example.org/shared"


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
    scheduling.extend_series(series=series, now=now)
    return series


@pytest.fixture
def chair_access(chair):
    return compute_access(chair)


@pytest.fixture
def coordinator_access(coordinator):
    return compute_access(coordinator)


@pytest.fixture
def budget_board(db):
    """A board meeting on the shared bridge, on 3 February 2026, 13:00–14:00 UTC."""
    board = SeriesFactory(name="Budget Board", audience="board", conference_link=BRIDGE)
    return MeetingFactory(series=board, starts_at=utc(2026, 2, 3, 13), ends_at=utc(2026, 2, 3, 14))


def forum_at_13_30(**kwargs):
    return find_conflicts(
        [Planned(utc(2026, 2, 3, 13, 30), utc(2026, 2, 3, 14, 30), "Forum")],
        audience="public",
        **kwargs,
    )


# The overlaps found --------------------------------------------------------------------


@pytest.mark.django_db
def test_conflicts_between_slots_of_one_series(coordinator_access):
    # Sunday 23:00 in Los Angeles is Monday 07:00 UTC: the next week's Monday 08:00 Paris
    # slot starts at the same instant.
    series = weekly(
        "Ends of the week", (6, 23, 0, "America/Los_Angeles"), (0, 8, 0, "Europe/Paris")
    )

    conflicts = series_conflicts(series, access=coordinator_access, now=NOW)

    # Every second week until July but one: from 8 to 29 March, the US keeps summer time
    # and Europe not yet.
    assert len(conflicts) == 12
    assert {c.reason for c in conflicts} == {"same series"}
    assert conflicts[0].planned.start == conflicts[0].other.start == utc(2026, 1, 5, 7)


@pytest.mark.django_db
def test_conflicts_between_parallel_meetings_of_same_audience_follow_dst(coordinator_access):
    paris = weekly("Paris", (1, 15, 0, "Europe/Paris"))
    weekly("New York", (1, 9, 0, "America/New_York"))

    conflicts = series_conflicts(paris, access=coordinator_access, now=NOW)

    days = [c.planned.start.date() for c in conflicts]
    # The US changes clocks on 8 March, Europe on 29 March: for three Tuesdays the
    # meetings are an hour apart; every other Tuesday they collide.
    gap = {datetime.date(2026, 3, 10), datetime.date(2026, 3, 17), datetime.date(2026, 3, 24)}
    all_tuesdays = {m.starts_at.date() for m in paris.meetings.all()}
    assert set(days) == all_tuesdays - gap
    assert {c.reason for c in conflicts} == {"same audience"}
    assert {c.other.label for c in conflicts} == {"New York"}


@pytest.mark.django_db
def test_conflict_across_midnight(chair_access):
    late = SeriesFactory(name="Late", audience="board")
    meeting = MeetingFactory(
        series=late, starts_at=utc(2026, 2, 3, 23, 30), ends_at=utc(2026, 2, 4, 0, 30)
    )

    conflicts = find_conflicts(
        [Planned(utc(2026, 2, 4, 0, 0), utc(2026, 2, 4, 1, 0), "Early")],
        audience="board",
        conference_link="",
        access=chair_access,
    )

    assert [(c.other.label, c.other.meeting_id, c.reason) for c in conflicts] == [
        ("Late", meeting.pk, "same audience")
    ]


@pytest.mark.django_db
def test_conflict_on_same_bridge_across_audiences(chair_access, budget_board):
    same_bridge = forum_at_13_30(conference_link=BRIDGE, access=chair_access)
    other_bridge = forum_at_13_30(
        conference_link="https://meet.example.org/other", access=chair_access
    )

    assert [(c.other.label, c.reason) for c in same_bridge] == [
        ("Budget Board", "same conference bridge")
    ]
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
        access=ANONYMOUS,
    )

    assert conflicts == []


def test_overlapping_planned_occurrences_conflict_with_each_other(db):
    planned = [
        Planned(utc(2026, 3, 1, 10), utc(2026, 3, 1, 11, 30), "A"),
        Planned(utc(2026, 3, 1, 11), utc(2026, 3, 1, 12), "B"),
        Planned(utc(2026, 3, 1, 12), utc(2026, 3, 1, 13), "C"),
    ]

    conflicts = find_conflicts(planned, audience="public", conference_link="", access=ANONYMOUS)

    assert [(c.planned.label, c.other.label, c.reason) for c in conflicts] == [
        ("A", "B", "same series")
    ]


# What the viewer may see of them ------------------------------------------------------


@pytest.mark.django_db
def test_board_meeting_on_shared_bridge_is_restricted_for_a_coordinator(
    coordinator_access, budget_board
):
    conflicts = forum_at_13_30(conference_link=BRIDGE, access=coordinator_access)

    assert [(c.other, c.reason) for c in conflicts] == [
        (
            Planned(
                utc(2026, 2, 3, 13),
                utc(2026, 2, 3, 14),
                "a restricted meeting",
                meeting_id=None,
                restricted=True,
            ),
            "same conference bridge",
        )
    ]


@pytest.mark.django_db
def test_conflicts_default_to_what_an_anonymous_visitor_may_see(budget_board):
    conflicts = forum_at_13_30(conference_link=BRIDGE)

    assert [(c.other.label, c.other.meeting_id) for c in conflicts] == [
        ("a restricted meeting", None)
    ]


@pytest.mark.django_db
def test_meeting_conflicts_show_the_viewer_what_they_may_see(
    coordinator_access, chair_access, budget_board
):
    forum = SeriesFactory(name="Forum", conference_link=BRIDGE)
    meeting = MeetingFactory(
        series=forum, starts_at=utc(2026, 2, 3, 13, 30), ends_at=utc(2026, 2, 3, 14, 30)
    )

    for_coordinator = meeting_conflicts(meeting, access=coordinator_access)
    for_chair = meeting_conflicts(meeting, access=chair_access)

    assert [c.other.label for c in for_coordinator] == ["a restricted meeting"]
    assert [(c.other.label, c.other.meeting_id) for c in for_chair] == [
        ("Budget Board", budget_board.pk)
    ]


def shared_bridge_forum(now):
    """A weekly public forum on the shared bridge, with a board meeting at its second
    meeting's time and a public one at its third."""
    forum = weekly("Forum", (1, 13, 0, "UTC"), link=BRIDGE, now=now)
    second, third = forum.meetings.order_by("starts_at")[1:3]
    board = SeriesFactory(name="Budget Board", audience="board", conference_link=BRIDGE)
    MeetingFactory(series=board, starts_at=second.starts_at, ends_at=second.ends_at)
    public = SeriesFactory(name="Open Office Hours", conference_link="https://meet.example.org/o")
    MeetingFactory(series=public, starts_at=third.starts_at, ends_at=third.ends_at)
    return forum, board


@pytest.mark.django_db
def test_series_page_shows_a_coordinator_a_restricted_meeting_without_title_or_link(
    client, coordinator
):
    forum, board = shared_bridge_forum(timezone.now())
    client.force_login(coordinator)

    body = client.get(forum.get_absolute_url()).content.decode()
    conflicts = body.split('id="conflicts-heading"')[1].split("</section>")[0]

    assert "overlaps a restricted meeting (same conference bridge)." in conflicts
    assert "Open Office Hours</a>" in conflicts
    assert "Budget Board" not in body
    assert reverse("meetings:detail", args=[board.meetings.get().pk]) not in body


@pytest.mark.django_db
def test_series_page_shows_a_chair_the_board_meeting(client, chair, with_mfa):
    forum, board = shared_bridge_forum(timezone.now())
    client.force_login(with_mfa(chair))

    body = client.get(forum.get_absolute_url()).content.decode()

    link = reverse("meetings:detail", args=[board.meetings.get().pk])
    assert f'<a href="{link}">Budget Board</a>' in body
    assert "a restricted meeting" not in body


@pytest.mark.django_db
def test_meeting_page_shows_a_coordinator_a_restricted_meeting(client, coordinator):
    forum, _ = shared_bridge_forum(timezone.now())
    second = forum.meetings.order_by("starts_at")[1]
    client.force_login(coordinator)

    body = client.get(second.get_absolute_url()).content.decode()

    assert "overlaps a restricted meeting (same conference bridge)." in body
    assert "Budget Board" not in body


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


# The live preview of the series form --------------------------------------------------


def form_data(series=None, **fields):
    """The series form as a browser posts it: one weekly Tuesday 13:00 UTC slot."""
    data = {
        "name": "Forum",
        "slug": "",
        "kind": "forum",
        "audience": "public",
        "cadence": "weekly",
        "interval": "1",
        "monthly_ordinal": "1",
        "anchor": timezone.now().date().isoformat(),
        "duration_minutes": "60",
        "conference_link": "",
        "mailing_list": "",
        "horizon_months": "6",
        "announce_days_ahead": "3",
        "is_active": "on",
        "dates": "",
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "12",
        "slots-0-weekday": "1",
        "slots-0-local_time": "13:00",
        "slots-0-zone": "UTC",
    }
    if series is not None:
        slot = series.slots.get()
        data.update(
            {
                "name": series.name,
                "slug": series.slug,
                "kind": series.kind,
                "audience": series.audience,
                "anchor": series.anchor.isoformat(),
                "conference_link": series.conference_link,
                "horizon_months": str(series.horizon_months),
                "slots-INITIAL_FORMS": "1",
                "slots-0-id": str(slot.pk),
                "slots-0-series": str(series.pk),
            }
        )
    data.update(fields)
    return data


def coming_tuesdays_at_13(count):
    now = timezone.now()
    cadence = rotation.EveryNWeeks(anchor=now.date())
    slot = rotation.Slot(1, datetime.time(13), "UTC")
    found = rotation.expand(cadence, [slot], now, now + datetime.timedelta(weeks=60))
    return [o.start for o in found[:count]]


def meeting_at(series, start):
    return MeetingFactory(
        series=series, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )


def preview(client, url, data):
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.context["preview"]["conflicts"]


@pytest.mark.django_db
def test_preview_of_an_unchanged_series_leaves_out_its_own_meetings(client, coordinator):
    forum = weekly("Forum", (1, 13, 0, "UTC"), link=BRIDGE, now=timezone.now())
    client.force_login(coordinator)

    conflicts = preview(
        client, reverse("meetings:series-edit", args=[forum.slug]), form_data(forum)
    )

    assert forum.meetings.count() == 26
    assert conflicts == []


@pytest.mark.django_db
def test_preview_checks_a_board_series_against_board_meetings(client, chair, with_mfa):
    first, second = coming_tuesdays_at_13(2)
    board = SeriesFactory(name="Budget Board", audience="board", conference_link="")
    board_meeting = meeting_at(board, first)
    meeting_at(SeriesFactory(name="Open Office Hours", conference_link=""), second)
    client.force_login(with_mfa(chair))

    conflicts = preview(
        client,
        reverse("meetings:series-create"),
        form_data(name="New Board", kind="board", audience="board"),
    )

    assert [(c.planned.start, c.other.label, c.other.meeting_id, c.reason) for c in conflicts] == [
        (first, "Budget Board", board_meeting.pk, "same audience")
    ]


@pytest.mark.django_db
def test_preview_checks_the_conference_bridge(client, chair, with_mfa):
    [first] = coming_tuesdays_at_13(1)
    board = SeriesFactory(name="Budget Board", audience="board", conference_link=BRIDGE)
    meeting_at(board, first)
    client.force_login(with_mfa(chair))

    conflicts = preview(
        client, reverse("meetings:series-create"), form_data(conference_link=BRIDGE)
    )

    assert [(c.planned.start, c.other.label, c.reason) for c in conflicts] == [
        (first, "Budget Board", "same conference bridge")
    ]


@pytest.mark.django_db
def test_preview_shows_a_coordinator_a_board_meeting_on_the_bridge_as_restricted(
    client, coordinator
):
    [first] = coming_tuesdays_at_13(1)
    board = SeriesFactory(name="Budget Board", audience="board", conference_link=BRIDGE)
    meeting = meeting_at(board, first)
    client.force_login(coordinator)

    response = client.post(
        reverse("meetings:series-create"),
        form_data(conference_link=BRIDGE),
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert "overlaps a restricted meeting (same conference bridge)." in body
    assert "Budget Board" not in body
    assert reverse("meetings:detail", args=[meeting.pk]) not in body


@pytest.mark.django_db
def test_preview_checks_only_the_forms_horizon(client, coordinator):
    tuesdays = coming_tuesdays_at_13(14)
    # 13 weeks on: beyond a horizon of 1 month, within one of 6.
    meeting_at(SeriesFactory(name="Open Office Hours", conference_link=""), tuesdays[13])
    client.force_login(coordinator)
    url = reverse("meetings:series-create")

    short = preview(client, url, form_data(horizon_months="1"))
    long = preview(client, url, form_data(horizon_months="6"))

    assert short == []
    assert [(c.planned.start, c.other.label) for c in long] == [(tuesdays[13], "Open Office Hours")]
