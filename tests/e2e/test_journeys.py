"""The portal's main journeys, in a real headless chromium against a live server."""

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from agreements.models import Agreement
from joining.models import JoinApplication
from meetings import scheduling
from meetings.models import Meeting, Series
from members.models import Role
from tests.e2e.browsing import log_in
from tests.factories import (
    AgreementFactory,
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
    scheduling.extend_series(series=general)
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


@pytest.mark.browser_context_args(timezone_id="Asia/Tokyo")
def test_visitor_in_tokyo_sees_local_times_switches_zone_and_downloads(live_server, page, portal):
    meeting = portal["general"].meetings.order_by("starts_at").first()
    tokyo = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    paris = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))

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


def test_company_applies_and_coordinator_moves_it_one_step(live_server, page, new_context, portal):
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

    coordinator = new_context().new_page()  # another person, another browser session
    log_in(coordinator, live_server.url, "cora@example.org")
    coordinator.goto(f"{live_server.url}/join/applications/")
    coordinator.get_by_role("link", name="Acme Cloud").click()
    coordinator.get_by_label("Its people take part in General Meetings").check()
    coordinator.get_by_role("button", name="Apply").click()
    expect(coordinator.get_by_text("Now: Taking part in General Meetings.")).to_be_visible()
    assert JoinApplication.objects.get().state == JoinApplication.State.PARTICIPATING


def test_chair_with_mfa_creates_rotating_series_publishes_notes_and_records_agreement(
    live_server, page, portal
):
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

    # The first meeting takes place (a browser cannot make time pass): notes are written
    # and decisions recorded after it.
    held = timezone.now().replace(microsecond=0, second=0) - datetime.timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=held, ends_at=held + datetime.timedelta(minutes=60)
    )

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Notes", exact=True).click()
    page.get_by_label("Public notes").fill("## Decisions\n\n- Adopt the rolling-upgrade runbook.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish notes").click()
    expect(page.get_by_text("The notes are published.")).to_be_visible()
    assert Meeting.objects.get(pk=meeting.pk).notes_published

    # The proposal, made a week before the meeting, then agreed at it.
    page.goto(f"{live_server.url}/agreements/new/")
    page.get_by_label("Title:", exact=True).fill("Rolling-upgrade runbook")
    page.get_by_label("Summary:", exact=True).fill("Members upgrade with the shared runbook.")
    page.get_by_label("Body:", exact=True).fill("Upgrade **one cell at a time**.")
    page.get_by_label("Proposing company:", exact=True).select_option(label="Orange")
    proposed = (held - datetime.timedelta(days=7)).date()
    page.get_by_label("Proposed on:", exact=True).fill(proposed.isoformat())
    page.get_by_label("Visibility:", exact=True).select_option(label="Public")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Proposal recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Rolling-upgrade runbook")).to_be_visible()

    page.get_by_role("link", name="Change the status").click()
    page.get_by_label("New status:", exact=True).select_option(label="Agreed")
    page.get_by_label("Meeting:", exact=True).select_option(str(meeting.pk))
    page.get_by_role("button", name="Change the status").click()
    expect(page.get_by_text("Now agreed.")).to_be_visible()
    expect(page.locator(f'dl.facts a[href="/meetings/{meeting.pk}/"]')).to_contain_text(
        "Operators General Meeting"
    )
    agreement = Agreement.objects.get(title="Rolling-upgrade runbook")
    assert (agreement.status, agreement.decided_at_id, agreement.proposed_on) == (
        Agreement.Status.AGREED,
        meeting.pk,
        proposed,
    )

    page.locator(f'dl.facts a[href="/meetings/{meeting.pk}/"]').click()
    decided = page.locator("section[aria-labelledby=decided-heading]")
    expect(decided.get_by_role("link", name="Rolling-upgrade runbook")).to_have_attribute(
        "href", f"/agreements/{agreement.slug}/"
    )


def test_anonymous_reads_notes_and_agreement_and_cannot_reach_board_pages(
    live_server, page, portal
):
    now = timezone.now().replace(microsecond=0, second=0)
    held = MeetingFactory(
        series=portal["general"], slot=portal["general"].slots.first(),
        starts_at=now - datetime.timedelta(days=3),
        ends_at=now - datetime.timedelta(days=3, minutes=-60), status="held",
        notes="## Decisions\n\n- Adopt the rolling-upgrade runbook.", notes_published=True,
    )  # fmt: skip
    agreement = AgreementFactory(
        title="Rolling-upgrade runbook", summary="Members upgrade with the shared runbook.",
        proposed_on=(now - datetime.timedelta(days=10)).date(), status="agreed",
        decided_at=held, decided_on=(now - datetime.timedelta(days=3)).date(),
    )  # fmt: skip
    board = portal["board_meeting"]
    secret = AgreementFactory(
        title="Board budget cap", summary="Board-only budget talk", visibility="board",
        status="agreed", decided_at=board, decided_on=now.date(),
    )  # fmt: skip

    page.goto(f"{live_server.url}/meetings/{held.pk}/")
    expect(page.get_by_role("heading", name="Decisions")).to_be_visible()
    expect(page.get_by_text("meet.example.org/gm")).to_have_count(0)
    decided = page.locator("section[aria-labelledby=decided-heading]")
    decided.get_by_role("link", name="Rolling-upgrade runbook").click()
    expect(page.get_by_role("heading", name="Rolling-upgrade runbook")).to_be_visible()
    expect(page.get_by_text("Members upgrade with the shared runbook.")).to_be_visible()
    expect(page.locator(f'dl.facts a[href="/meetings/{held.pk}/"]')).to_be_visible()
    assert page.url == f"{live_server.url}/agreements/{agreement.slug}/"

    page.goto(f"{live_server.url}/agreements/")
    expect(page.get_by_role("link", name="Rolling-upgrade runbook")).to_be_visible()
    expect(page.get_by_text("Board budget cap")).to_have_count(0)

    # Board-only pages answer 404, like pages that do not exist, and show nothing of theirs.
    for path in [
        f"/meetings/{board.pk}/",
        f"/agreements/{secret.slug}/",
        "/meetings/series/executive-board/",
    ]:
        response = page.goto(live_server.url + path)
        assert response.status == 404, path
        assert "Board-only budget talk" not in page.content(), path
        assert "Board budget cap" not in page.content(), path
    for path in [
        f"/meetings/{board.pk}/calendar.ics",
        "/meetings/series/executive-board/calendar.ics",
    ]:
        response = page.request.get(live_server.url + path)
        assert response.status == 404, path
        assert "Board-only budget talk" not in response.text(), path
    board_feed = page.request.get(f"{live_server.url}/meetings/kind/board/calendar.ics").text()
    assert "BEGIN:VEVENT" not in board_feed
    assert "meet.example.org/board" not in board_feed
    for path in ["/agreements/feed.atom", "/agreements/register.csv"]:
        listing = page.request.get(live_server.url + path).text()
        assert "Rolling-upgrade runbook" in listing, path
        assert "Board budget cap" not in listing, path
