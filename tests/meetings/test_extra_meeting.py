"""A coordinator adds a one-off meeting to a series, outside its rotation."""

import datetime

import pytest
import vobject
from django.urls import reverse

from meetings import announcements, scheduling
from meetings.models import Meeting
from tests.factories import PersonFactory, RoleFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
NOW = datetime.datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def general(db):
    series = SeriesFactory(
        name="General Meeting",
        slug="gm",
        anchor=datetime.date(2030, 1, 1),
        horizon_months=3,
        announce_days_ahead=3,
    )
    SlotFactory(series=series, weekday=1, local_time=datetime.time(14, 0), zone="Europe/Paris")
    scheduling.extend_series(series=series, now=NOW)
    return series


def extra_url(series) -> str:
    return reverse("meetings:series-extra", args=[series.slug])


def form(day: str, time: str, zone: str, **more) -> dict:
    return {"starts_at_0": day, "starts_at_1": time, "starts_at_2": zone, **more}


def feed_uids(client, series) -> dict[str, str]:
    body = client.get(reverse("meetings:series-feed", args=[series.slug])).content.decode()
    return {
        e.dtstart.value.isoformat(): str(e.uid.value) for e in vobject.readOne(body).vevent_list
    }


@pytest.mark.django_db
def test_coordinator_adds_an_extra_meeting_in_another_zone(client, coordinator, general):
    client.force_login(coordinator)
    page = client.get(extra_url(general))

    response = client.post(
        extra_url(general),
        form(
            "2030-03-12",
            "16:00",
            "America/New_York",
            topic="Deep dive",
            duration_minutes="",
            agenda="1. Storage\n2. Upgrades",
        ),
    )

    extra = Meeting.objects.get(sequence_index=None)
    assert page.status_code == 200
    assert 'value="Europe/Paris" selected' in page.content.decode()
    assert (response.status_code, response["Location"]) == (302, extra.get_absolute_url())
    # New York is on summer time from 10 March 2030: 16:00 there is 20:00 UTC.
    assert (extra.starts_at, extra.ends_at) == (
        datetime.datetime(2030, 3, 12, 20, 0, tzinfo=UTC),
        datetime.datetime(2030, 3, 12, 21, 0, tzinfo=UTC),
    )
    assert (extra.topic, extra.edited, extra.is_extra, extra.slot) == (
        "Deep dive",
        True,
        True,
        None,
    )
    assert list(extra.revisions.values_list("field", "text", "author")) == [
        ("agenda", "1. Storage\n2. Upgrades", coordinator.pk)
    ]
    assert extra.agenda == "1. Storage\n2. Upgrades"


@pytest.mark.django_db
def test_extra_meeting_in_the_series_zone_takes_its_slot_and_own_length(
    client, coordinator, general
):
    client.force_login(coordinator)

    client.post(
        extra_url(general), form("2030-03-14", "09:30", "Europe/Paris", duration_minutes=90)
    )

    extra = Meeting.objects.get(sequence_index=None)
    assert extra.slot == general.slots.get()
    assert (extra.starts_at, extra.duration) == (
        datetime.datetime(2030, 3, 14, 8, 30, tzinfo=UTC),
        datetime.timedelta(minutes=90),
    )


@pytest.mark.django_db
def test_rotation_keeps_the_extra_meeting_and_it_is_announced_with_its_own_uid(client, general):
    RoleFactory(person=PersonFactory(email="ana@example.org"))  # a coordinator
    extra = scheduling.add_extra_meeting(
        series=general,
        starts_at=datetime.datetime(2030, 2, 20, 15, tzinfo=UTC),
        zone="UTC",
        now=NOW,
    )
    uids_before = feed_uids(client, general)

    general.slots.update(local_time=datetime.time(16, 0))
    result = scheduling.extend_series(series=general, now=NOW + datetime.timedelta(days=1))
    planned = announcements.plan_due(datetime.datetime(2030, 2, 18, tzinfo=UTC), series=general)
    uids_after = feed_uids(client, general)

    extra.refresh_from_db()
    assert result.cancelled == 0
    assert (extra.status, extra.starts_at, extra.revision) == (
        "scheduled",
        datetime.datetime(2030, 2, 20, 15, tzinfo=UTC),
        0,
    )
    assert [(row.kind, row.meeting, row.recipient) for row in planned] == [
        ("announcement", extra, "ana@example.org")
    ]
    assert uids_before["2030-02-20T15:00:00+00:00"] == uids_after["2030-02-20T15:00:00+00:00"]
    assert uids_before["2030-02-20T15:00:00+00:00"].startswith(str(extra.uid))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "time", "message"),
    [
        (
            "2030-03-31",
            "02:30",
            "Clocks go forward from 02:00 to 03:00 on 31 March 2030 in Europe/Paris: "
            "choose 01:59 or 03:00 or later.",
        ),
        (
            "2030-10-27",
            "02:30",
            "Clocks go back from 03:00 to 02:00 on 27 October 2030 in Europe/Paris, so "
            "02:30 happens twice: choose which one is meant, 02:30 CEST (00:30 UTC) or "
            "02:30 CET (01:30 UTC).",
        ),
    ],
)
def test_time_the_clocks_skip_or_repeat_is_refused_or_asked(
    client, coordinator, general, day, time, message
):
    client.force_login(coordinator)
    before = Meeting.objects.count()

    response = client.post(extra_url(general), form(day, time, "Europe/Paris", topic="Kept"))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'value="Kept"' in response.content.decode()
    assert Meeting.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("0", datetime.datetime(2030, 10, 27, 0, 30, tzinfo=UTC)),
        ("1", datetime.datetime(2030, 10, 27, 1, 30, tzinfo=UTC)),
    ],
)
def test_time_that_happens_twice_saves_the_chosen_instant(
    client, coordinator, general, which, expected
):
    client.force_login(coordinator)
    data = form("2030-10-27", "02:30", "Europe/Paris", topic="Twice", duration_minutes="90")

    asked = client.post(extra_url(general), data)
    chosen = client.post(extra_url(general), {**data, "starts_at_3": which})

    assert asked.status_code == 400
    assert 'value="0"' in asked.content.decode()
    assert chosen.status_code == 302
    extra = Meeting.objects.get(topic="Twice")
    assert (extra.starts_at, extra.ends_at - extra.starts_at) == (
        expected,
        datetime.timedelta(minutes=90),
    )


@pytest.mark.django_db
def test_extra_meeting_abuse(client, participant, coordinator, general):
    board = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    data = form("2030-03-12", "16:00", "Europe/Paris")
    before = Meeting.objects.count()

    anonymous = client.post(extra_url(general), data)
    client.force_login(participant)
    as_participant = client.post(extra_url(general), data)
    client.force_login(coordinator)
    board_page = client.post(extra_url(board), data)
    forged = client.post(reverse("meetings:series-extra", args=["nope"]), data)
    control = client.post(extra_url(general), {**data, "topic": "Deep\x1bdive"})
    bad_zone = client.post(extra_url(general), form("2030-03-12", "16:00", "Mars/Olympus"))
    past = client.post(extra_url(general), form("2020-03-12", "16:00", "Europe/Paris"))
    first = client.post(extra_url(general), data)
    replay = client.post(extra_url(general), data)

    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert as_participant.status_code == 403
    assert board_page.status_code == 404
    assert forged.status_code == 404
    assert control.status_code == 400
    assert bad_zone.status_code == 400
    assert past.status_code == 400
    assert "An extra meeting is one still to come." in past.content.decode()
    assert first.status_code == 302
    assert replay.status_code == 400
    assert "The series has a meeting at that time already." in replay.content.decode()
    assert Meeting.objects.count() == before + 1


@pytest.mark.django_db
def test_ended_series_takes_no_extra_meeting(client, coordinator, general):
    scheduling.end_series(series=general, from_instant=NOW, reason="Done", by=None, now=NOW)
    client.force_login(coordinator)

    response = client.post(extra_url(general), form("2030-03-12", "16:00", "Europe/Paris"))

    assert response.status_code == 400
    assert "This series has ended: reopen it to add a meeting." in response.content.decode()
    assert Meeting.objects.filter(sequence_index=None).count() == 0
