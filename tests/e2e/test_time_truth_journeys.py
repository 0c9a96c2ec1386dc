"""Editing a meeting across daylight-saving changes, in a real headless chromium."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from meetings.messages import MessageRenderer
from meetings.models import Meeting
from members.models import Role
from tests.e2e.browsing import log_in
from tests.factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

UTC = datetime.UTC
PARIS = "Europe/Paris"


@pytest.fixture
def forum(db):
    """A coordinator of a Paris company and a 90-minute forum meeting to move."""
    orange = CompanyFactory(name="Orange", slug="orange", hq_timezone=PARIS)
    coordinator = PersonFactory(email="cora@example.org", full_name="Cora Coordinator")
    RoleFactory(person=coordinator, company=orange, kind=Role.Kind.COORDINATOR)
    series = SeriesFactory(name="Forum", slug="forum", duration_minutes=90)
    slot = SlotFactory(series=series, weekday=6, local_time=datetime.time(10), zone=PARIS)
    start = datetime.datetime(2027, 3, 21, 9, tzinfo=UTC)
    return MeetingFactory(
        series=series, slot=slot, starts_at=start, ends_at=start + datetime.timedelta(minutes=90)
    )


def open_edit(page, base_url: str, meeting: Meeting, day: str, time: str) -> None:
    log_in(page, base_url, "cora@example.org")
    page.goto(f"{base_url}/meetings/manage/{meeting.pk}/")
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Time", exact=True).fill(time)
    page.get_by_label("Time zone", exact=True).select_option(PARIS)
    page.get_by_label("Length (minutes)").fill("90")
    page.get_by_role("button", name="Save").click()


def test_editing_into_the_gap_shows_the_change_and_saves_nothing(live_server, page, forum):
    open_edit(page, live_server.url, forum, "2027-03-28", "02:30")

    expect(
        page.get_by_text(
            "Clocks go forward from 02:00 to 03:00 on 28 March 2027 in Europe/Paris: "
            "choose 01:59 or 03:00 or later."
        )
    ).to_be_visible()
    expect(page.get_by_label("Time", exact=True)).to_have_value("02:30")
    stored = Meeting.objects.get(pk=forum.pk)
    assert (stored.starts_at, stored.revision) == (forum.starts_at, forum.revision)


def test_editing_into_the_repeated_hour_asks_and_saves_the_chosen_instant(live_server, page, forum):
    open_edit(page, live_server.url, forum, "2027-10-31", "02:30")
    page.get_by_label("02:30 CET (01:30 UTC)").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("The meeting is saved.")).to_be_visible()
    stored = Meeting.objects.get(pk=forum.pk)
    assert (stored.starts_at, stored.ends_at) == (
        datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
        datetime.datetime(2027, 10, 31, 3, 0, tzinfo=UTC),
    )


def test_ninety_minutes_across_the_spring_change_stay_ninety_in_page_feed_and_mail(
    live_server, page, forum
):
    open_edit(page, live_server.url, forum, "2027-03-28", "01:30")

    expect(page.get_by_text("The meeting is saved.")).to_be_visible()
    expect(page.locator('time[datetime="2027-03-28T02:00:00Z"]').first).to_be_visible()
    ics = page.request.get(f"{live_server.url}/meetings/{forum.pk}/calendar.ics").text()
    stamps = dict(re.findall(r"^(DTSTART|DTEND);TZID=Europe/Paris:(\S+)", ics, flags=re.M))
    start, end = (
        datetime.datetime.strptime(stamps[key], "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo(PARIS))
        for key in ("DTSTART", "DTEND")
    )
    stored = Meeting.objects.get(pk=forum.pk)
    _, text, _, _ = MessageRenderer()._render(stored, "update", PARIS, True)
    assert end.astimezone(UTC) - start.astimezone(UTC) == datetime.timedelta(minutes=90)
    assert stored.ends_at - stored.starts_at == datetime.timedelta(minutes=90)
    assert "When: Sunday 28 March 2027, 01:30 CET–04:00 CEST (Europe/Paris)" in text
