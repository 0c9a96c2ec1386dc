"""The home page: what the group is, and its next meetings as the visitor may see them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MeetingFactory, SeriesFactory, SlotFactory


@pytest.fixture
def next_meetings(db):
    now = timezone.now().replace(second=0, microsecond=0)
    general = SeriesFactory(name="General Meeting", slug="gm", kind="general")
    board = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    gm_slot = SlotFactory(series=general, zone="Europe/Paris")

    def meeting(series, days, **fields):
        start = now + datetime.timedelta(days=days)
        return MeetingFactory(
            series=series, starts_at=start, ends_at=start + datetime.timedelta(hours=1), **fields
        )

    return {
        "gm": meeting(general, 2, slot=gm_slot, topic="Upgrades"),
        "board": meeting(board, 3),
        "cancelled": meeting(general, 4, slot=gm_slot, topic="Dropped", status="cancelled"),
        "past": meeting(general, -20, slot=gm_slot, topic="Long ago", status="held"),
    }


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [m.get_absolute_url() for m in response.context["next_meetings"]]


@pytest.mark.django_db
def test_home_shows_next_meetings_in_viewer_zone_inside_time(client, next_meetings):
    client.cookies["lcoo_browser_tz"] = "Asia/Tokyo"
    gm = next_meetings["gm"]

    response = client.get(reverse("portal:home"))

    body = response.content.decode()
    stamp = gm.starts_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tokyo = gm.starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    assert listed(response) == [gm.get_absolute_url()]
    assert (
        f'<td><time datetime="{stamp}">{tokyo:%a} {tokyo.day} {tokyo:%b %Y, %H:%M}</time></td>'
        in (body)
    )
    assert f'<a href="{gm.get_absolute_url()}">General Meeting</a>: Upgrades' in body
    assert "When (Asia/Tokyo)" in body
    assert f'<a href="{reverse("meetings:list")}">All upcoming meetings</a>' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("viewer", "sees_board"),
    [(None, False), ("participant", False), ("coordinator", False), ("executive", True)],
)
def test_home_shows_board_meetings_only_to_the_board(
    client, next_meetings, viewer, sees_board, request
):
    if viewer:
        client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("portal:home"))

    expected = [next_meetings["gm"]] + ([next_meetings["board"]] if sees_board else [])
    assert listed(response) == [m.get_absolute_url() for m in expected]
    section = response.content.decode().split("Next meetings</h2>")[1].split("</section>")[0]
    assert ("Executive Board" in section) is sees_board
    assert (next_meetings["board"].get_absolute_url() in section) is sees_board


@pytest.mark.django_db
def test_home_shows_board_meetings_to_chairs(client, next_meetings, chair, with_mfa):
    client.force_login(with_mfa(chair))

    response = client.get(reverse("portal:home"))

    assert listed(response) == [
        next_meetings["gm"].get_absolute_url(),
        next_meetings["board"].get_absolute_url(),
    ]


@pytest.mark.django_db
def test_home_without_meetings_says_so(client):
    body = client.get(reverse("portal:home")).content.decode()

    assert "No meetings scheduled yet." in body
