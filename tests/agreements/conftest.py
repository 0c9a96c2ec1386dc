import datetime

import pytest
from django.utils import timezone

from tests.factories import MeetingFactory, SeriesFactory, SlotFactory

ROLES = ["anonymous", "participant", "coordinator", "executive", "chair", "staff"]


def at(days: int, hour: int = 14) -> datetime.datetime:
    """A whole hour `days` from today (never today, so never ambiguous about now)."""
    assert days != 0
    base = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + datetime.timedelta(days=days)


def meeting(series, days: int, **fields):
    start = at(days)
    status = "held" if days < 0 else "scheduled"
    return MeetingFactory(
        series=series,
        slot=series.slots.first(),
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        **{"status": status, **fields},
    )


def _series(name, slug, kind, audience="public"):
    series = SeriesFactory(name=name, slug=slug, kind=kind, audience=audience)
    SlotFactory(series=series, zone="UTC")
    return series


@pytest.fixture
def general(db):
    return _series("General Meeting", "general", "general")


@pytest.fixture
def forum_series(db):
    return _series("Topical Forum", "forum", "forum")


@pytest.fixture
def board_series(db):
    return _series("Executive Board", "board", "board", audience="board")


@pytest.fixture
def gm(general):
    """General Meetings: two held, the next one, a later one."""
    return {
        "earlier": meeting(general, -28),
        "last": meeting(general, -14),
        "next": meeting(general, 3),
        "later": meeting(general, 17),
    }


@pytest.fixture
def board_meeting(board_series):
    return meeting(board_series, -30)


@pytest.fixture
def login(client, request, with_mfa):
    """Log the client in as one of the conftest people ("anonymous": nobody)."""

    def as_(who: str):
        if who == "anonymous":
            return None
        person = request.getfixturevalue(who)
        if who in ("chair", "staff"):
            with_mfa(person)
        client.force_login(person)
        return person

    return as_
