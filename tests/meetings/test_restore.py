"""Scheduling a cancelled meeting again from the coordinators' meeting page."""

import datetime

import pytest
from django.urls import reverse

from meetings import announcements, scheduling
from meetings.models import Delivery
from tests.factories import MeetingFactory, PersonFactory, RoleFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
START = datetime.datetime(2030, 3, 5, 13, 0, tzinfo=UTC)
DUE = START - datetime.timedelta(days=2)


@pytest.fixture
def announced(db):
    """A General Meeting announced to two coordinators, then cancelled."""
    series = SeriesFactory(name="General Meeting", slug="gm", cadence="explicit")
    SlotFactory(series=series)
    for address in ["ana@example.org", "ben@example.org"]:
        RoleFactory(person=PersonFactory(email=address))
    meeting = MeetingFactory(
        series=series, starts_at=START, ends_at=START + datetime.timedelta(hours=1)
    )
    announcements.decide_due(DUE)
    scheduling.cancel_meeting(meeting=meeting, reason="Public holiday")
    announcements.decide_due(DUE + datetime.timedelta(minutes=1))
    return meeting


def restore_url(meeting) -> str:
    return reverse("meetings:restore", args=[meeting.pk])


@pytest.mark.django_db
def test_restore_schedules_it_again_and_tells_those_told_of_the_cancellation(
    client, coordinator, announced
):
    client.force_login(coordinator)
    page = client.get(announced.get_absolute_url()).content.decode()
    manage_page = client.get(reverse("meetings:edit", args=[announced.pk])).content.decode()

    response = client.post(restore_url(announced), follow=True)
    announcements.decide_due(DUE + datetime.timedelta(minutes=2))

    announced.refresh_from_db()
    assert f'action="{restore_url(announced)}"' in page
    assert f'action="{restore_url(announced)}"' in manage_page
    assert response.redirect_chain == [(announced.get_absolute_url(), 302)]
    assert "The meeting is scheduled again." in response.content.decode()
    assert (announced.status, announced.cancel_reason, announced.revision, announced.edited) == (
        "scheduled",
        "",
        2,
        True,
    )
    told = sorted(["ana@example.org", "ben@example.org", coordinator.email])
    assert sorted(
        Delivery.objects.filter(kind__in=["cancellation", "update"]).values_list(
            "kind", "recipient", "sequence"
        )
    ) == [("cancellation", r, 1) for r in told] + [("update", r, 2) for r in told]


@pytest.mark.django_db
def test_replayed_restore_changes_nothing_and_says_so(client, coordinator, announced):
    client.force_login(coordinator)
    client.post(restore_url(announced))

    replay = client.post(restore_url(announced), follow=True)

    announced.refresh_from_db()
    assert "The meeting is scheduled already: nothing changed." in replay.content.decode()
    assert announced.revision == 2


@pytest.mark.django_db
def test_past_cancelled_meeting_is_not_restored(client, coordinator):
    series = SeriesFactory(name="General Meeting", slug="gm", cadence="explicit")
    past = MeetingFactory(
        series=series,
        starts_at=datetime.datetime(2024, 1, 2, 13, tzinfo=UTC),
        ends_at=datetime.datetime(2024, 1, 2, 14, tzinfo=UTC),
        status="cancelled",
        cancel_reason="Snow",
    )
    client.force_login(coordinator)

    page = client.get(past.get_absolute_url()).content.decode()
    response = client.post(restore_url(past), follow=True)

    past.refresh_from_db()
    assert restore_url(past) not in page
    assert "Only a meeting still to come can be scheduled again." in response.content.decode()
    assert (past.status, past.revision) == ("cancelled", 0)


@pytest.mark.django_db
def test_meeting_of_an_ended_series_is_not_restored(client, coordinator, announced):
    scheduling.end_series(
        series=announced.series,
        from_instant=DUE,
        reason="Merged",
        by=None,
        now=DUE,
    )
    client.force_login(coordinator)

    response = client.post(restore_url(announced), follow=True)

    announced.refresh_from_db()
    assert "Its series has ended: reopen the series instead." in response.content.decode()
    assert (announced.status, announced.revision) == ("cancelled", 1)


@pytest.mark.django_db
def test_restore_abuse(client, participant, coordinator, announced):
    board = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    board_meeting = MeetingFactory(series=board, status="cancelled", cancel_reason="Off")

    anonymous = client.post(restore_url(announced))
    client.force_login(participant)
    as_participant = client.post(restore_url(announced))
    client.force_login(coordinator)
    as_get = client.get(restore_url(announced))
    forged = client.post(reverse("meetings:restore", args=[999999]))
    hidden = client.post(restore_url(board_meeting))

    announced.refresh_from_db()
    board_meeting.refresh_from_db()
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert as_participant.status_code == 403
    assert as_get.status_code == 405
    assert forged.status_code == 404
    assert hidden.status_code == 404
    assert (announced.status, board_meeting.status) == ("cancelled", "cancelled")
