"""The invitees of a board meeting (a future executive to be welcomed): shown to those
who may see the board meeting, and in the admin."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Invitation
from tests.factories import MeetingFactory, SeriesFactory

INVITEE = "Ingrid Invitee"


@pytest.fixture
def board_meeting(db):
    series = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=20)
    meeting = MeetingFactory(
        series=series, starts_at=start, ends_at=start + datetime.timedelta(minutes=90)
    )
    Invitation.objects.create(
        meeting=meeting,
        name=INVITEE,
        email="ingrid@newco.example.org",
        reason="Welcome of NewCo",
        invited_at=datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC),
    )
    return meeting


def invited_section(body: str) -> str:
    return body.split('<h2 id="invitations-heading">Invited</h2>')[1].split("</section>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["executive", "chair"])
def test_board_meeting_page_lists_invitees_for_the_board(
    client, board_meeting, viewer, request, with_mfa
):
    person = request.getfixturevalue(viewer)
    client.force_login(with_mfa(person) if viewer == "chair" else person)

    response = client.get(board_meeting.get_absolute_url())

    assert response.status_code == 200
    assert invited_section(response.content.decode()).strip() == (
        "<ul><li>Ingrid Invitee — Welcome of NewCo "
        '<span class="meta">(invited <time datetime="2026-03-02T09:30:00Z">2 Mar 2026</time>)'
        "</span></li></ul>"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", [None, "coordinator", "participant"])
def test_board_invitees_hidden_from_others(client, board_meeting, viewer, request):
    if viewer:
        client.force_login(request.getfixturevalue(viewer))

    response = client.get(board_meeting.get_absolute_url())

    assert response.status_code == 404
    assert INVITEE not in response.content.decode()
    assert "ingrid@" not in response.content.decode()


@pytest.mark.django_db
def test_invitations_on_a_public_meeting_are_not_shown(client, coordinator):
    meeting = MeetingFactory(series=SeriesFactory(kind="general"))
    Invitation.objects.create(meeting=meeting, name=INVITEE, email="ingrid@newco.example.org")

    anonymous = client.get(meeting.get_absolute_url())
    client.force_login(coordinator)
    as_coordinator = client.get(meeting.get_absolute_url())

    assert (anonymous.status_code, as_coordinator.status_code) == (200, 200)
    assert INVITEE not in anonymous.content.decode()
    assert INVITEE not in as_coordinator.content.decode()


@pytest.mark.django_db
def test_meeting_admin_shows_invitations_inline(client, board_meeting, staff, with_mfa):
    client.force_login(with_mfa(staff))

    response = client.get(reverse("admin:meetings_meeting_change", args=[board_meeting.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="invitations-0-name" value="Ingrid Invitee"' in body
    assert 'name="invitations-0-email" value="ingrid@newco.example.org"' in body
    assert "Welcome of NewCo" in body
