"""The portal's main journeys, in a real headless chromium against a live server."""

import datetime
import re
import time
import zoneinfo
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from meetings import services
from meetings.models import Meeting, Series
from members.models import JoinApplication, Role
from tests.factories import (
    PASSWORD,
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def portal(db):
    """A small group: member companies, a coordinator, a chair with two-factor
    authentication, a rotating General Meeting series and a board meeting."""
    orange = CompanyFactory(name="Orange", slug="orange", hq_timezone="Europe/Paris")
    ntt = CompanyFactory(name="NTT", slug="ntt", hq_timezone="Asia/Tokyo")
    CompanyFactory(name="AT&T", slug="att", hq_timezone="America/Chicago")
    coordinator = PersonFactory(email="cora@example.org", full_name="Cora Coordinator")
    RoleFactory(person=coordinator, company=orange, kind=Role.Kind.COORDINATOR)
    chair = PersonFactory(email="chas@example.org", full_name="Chas Chair")
    RoleFactory(person=chair, company=None, kind=Role.Kind.CHAIR)
    TOTP.activate(chair, TOTP_SECRET)
    RoleFactory(person=PersonFactory(), company=ntt, kind=Role.Kind.EXECUTIVE)

    general = SeriesFactory(
        name="General Meeting", slug="general-meeting", kind="general",
        anchor=timezone.now().date(), conference_link="https://meet.example.org/gm",
    )  # fmt: skip
    SlotFactory(
        series=general, position=0, weekday=2, local_time=datetime.time(9), zone="Asia/Tokyo"
    )
    SlotFactory(
        series=general, position=1, weekday=1, local_time=datetime.time(16), zone="Europe/Paris"
    )
    services.extend_series(series=general)
    board = SeriesFactory(
        name="Executive Board", slug="executive-board", kind="board", audience="board",
        cadence="explicit", conference_link="https://meet.example.org/board",
    )  # fmt: skip
    start = timezone.now().replace(microsecond=0, second=0) + datetime.timedelta(days=20)
    board_meeting = MeetingFactory(
        series=board, slot=SlotFactory(series=board), starts_at=start,
        ends_at=start + datetime.timedelta(minutes=90), agenda="Board-only budget talk",
    )  # fmt: skip
    return {
        "coordinator": coordinator,
        "chair": chair,
        "general": general,
        "board_meeting": board_meeting,
    }


def log_in(page, base_url: str, email: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        counter = int(time.time()) // 30
        page.get_by_label("Code").fill(format_hotp_value(hotp_value(totp_secret, counter)))
        page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_visitor_in_tokyo_sees_local_times_switches_zone_and_downloads(
    live_server, browser, portal, tmp_path
):
    meeting = portal["general"].meetings.order_by("starts_at").first()
    tokyo = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    paris = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    context = browser.new_context(timezone_id="Asia/Tokyo", accept_downloads=True)
    page = context.new_page()

    page.goto(f"{live_server.url}/meetings/")

    # The browser tells its zone; the page shows Tokyo time and says so.
    expect(page.locator(".tz-current")).to_contain_text("Asia/Tokyo")
    first = page.locator(f'td > time[datetime="{iso(meeting.starts_at)}"]').first
    expect(first).to_have_text(f"{tokyo:%a} {tokyo.day} {tokyo:%b %Y, %H:%M}")

    page.get_by_label("Show times in").fill("Europe/Paris")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator(".tz-current")).to_contain_text("Europe/Paris")
    expect(page.locator(f'td > time[datetime="{iso(meeting.starts_at)}"]').first).to_have_text(
        f"{paris:%a} {paris.day} {paris:%b %Y, %H:%M}"
    )

    page.locator(f'a[href="/meetings/{meeting.pk}/"]').first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .ics").click()
    ics = Path(download.value.path()).read_text()
    assert f"UID:{meeting.uid}@" in ics
    assert "BEGIN:VTIMEZONE" in ics
    context.close()


def test_company_applies_and_coordinator_moves_it_one_step(live_server, browser, portal):
    page = browser.new_page()
    page.goto(f"{live_server.url}/join/")
    fields = {
        "Company name": "Acme Cloud",
        "Company website": "https://acme.example.org",
        "Your name": "Connie Contact",
        "Your e-mail address": "connie@acme.example.org",
        "Your role at the company": "Head of operations",
        "Proposed coordinator: name": "Cody Coord",
        "Proposed coordinator: e-mail": "cody@acme.example.org",
        "Proposed executive representative: name": "Ellen Exec",
        "Proposed executive representative: e-mail": "ellen@acme.example.org",
        "What does the company want to work on with the group?": "Upgrades at scale.",
    }
    for label, value in fields.items():
        # Django's labels end in ":" unless they end in punctuation already.
        suffix = "" if label[-1] in "?.:" else ":"
        page.get_by_label(label + suffix, exact=True).fill(value)
    page.get_by_label("Headquarters time zone").select_option("Europe/Berlin")
    for commitment in page.locator('input[type="checkbox"][name^="commit_"]').all():
        commitment.check()
    page.get_by_role("button", name="Send the application").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    confirm = re.search(r"(/join/confirm/\S+/)", mail.outbox[-1].body)[1]
    page.goto(live_server.url + confirm)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    page.close()

    coordinator = browser.new_page()
    log_in(coordinator, live_server.url, "cora@example.org")
    coordinator.goto(f"{live_server.url}/join/applications/")
    coordinator.get_by_role("link", name="Acme Cloud").click()
    coordinator.get_by_label("Its people take part in General Meetings").check()
    coordinator.get_by_role("button", name="Apply").click()
    expect(coordinator.get_by_text("Now: Taking part in General Meetings.")).to_be_visible()
    assert JoinApplication.objects.get().state == JoinApplication.State.PARTICIPATING


def test_chair_with_mfa_creates_rotating_series_and_publishes_notes(live_server, browser, portal):
    page = browser.new_page()
    log_in(page, live_server.url, "chas@example.org", totp_secret=TOTP_SECRET)

    page.goto(f"{live_server.url}/meetings/manage/series/new/?kind=general")
    page.get_by_label("Name:", exact=True).fill("Operators General Meeting")
    slots = [("Tuesday", "14:00", "Europe/Paris"), ("Wednesday", "08:00", "Asia/Tokyo"),
             ("Tuesday", "21:00", "America/Los_Angeles")]  # fmt: skip
    for n, (day, at, zone) in enumerate(slots, start=1):
        page.get_by_label(f"Weekday of slot {n}").select_option(label=day)
        page.get_by_label(f"Time of slot {n}").fill(at)
        page.get_by_label(f"Zone of slot {n}").select_option(zone)
    # The live preview shows the next meetings and the fairness table before saving.
    preview = page.locator("#preview")
    expect(preview.locator("table.fairness")).to_be_visible()
    expect(preview.locator("table.fairness tbody tr")).to_have_count(3)
    assert not Series.objects.filter(name="Operators General Meeting").exists()

    page.get_by_role("button", name="Save and schedule").click()
    expect(page.get_by_role("heading", name="Operators General Meeting")).to_be_visible()
    expect(page.locator("ol.slots li")).to_have_count(3)
    series = Series.objects.get(name="Operators General Meeting")
    meeting = series.meetings.order_by("starts_at").first()

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Notes", exact=True).click()
    page.get_by_label("Public notes").fill("## Decisions\n\n- Adopt the rolling-upgrade runbook.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish notes").click()
    expect(page.get_by_text("The notes are published.")).to_be_visible()
    assert Meeting.objects.get(pk=meeting.pk).notes_published


def test_anonymous_reads_published_notes_and_cannot_reach_board_pages(live_server, browser, portal):
    meeting = portal["general"].meetings.order_by("starts_at").first()
    meeting.notes = "## Decisions\n\n- Adopt the rolling-upgrade runbook."
    meeting.notes_published = True
    meeting.save()
    board = portal["board_meeting"]
    page = browser.new_page()

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(page.get_by_role("heading", name="Decisions")).to_be_visible()
    expect(page.get_by_text("meet.example.org/gm")).to_have_count(0)

    for path in [
        f"/meetings/{board.pk}/",
        "/meetings/series/executive-board/",
        f"/meetings/{board.pk}/calendar.ics",
        "/meetings/series/executive-board/calendar.ics",
    ]:
        response = page.request.get(live_server.url + path)
        assert response.status == 404, path
        assert "Board-only budget talk" not in response.text(), path
    board_feed = page.request.get(f"{live_server.url}/meetings/kind/board/calendar.ics").text()
    assert "BEGIN:VEVENT" not in board_feed
    assert "meet.example.org/board" not in board_feed
