"""Accessibility: axe-core (from npm, injected by the test) on public pages and the
coordinators' main forms; keyboard use and visible focus."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings import services
from members.models import Role
from tests.factories import (
    PASSWORD,
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
    SubTeamMembershipFactory,
    ToolLinkFactory,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SERIOUS = ("serious", "critical")


@pytest.fixture
def site(db):
    orange = CompanyFactory(name="Orange", slug="orange", hq_timezone="Europe/Paris")
    CompanyFactory(name="NTT", slug="ntt", hq_timezone="Asia/Tokyo")
    coordinator = PersonFactory(email="cora@example.org", full_name="Cora Coordinator")
    RoleFactory(person=coordinator, company=orange, kind=Role.Kind.COORDINATOR)
    RoleFactory(person=PersonFactory(full_name="Eve Exec"), company=orange, kind="executive")
    SubTeamMembershipFactory(sub_team__name="Extreme Testing", sub_team__slug="extreme-testing")
    ToolLinkFactory(name="Chat")
    general = SeriesFactory(name="General Meeting", slug="general-meeting", kind="general",
                            anchor=timezone.now().date())  # fmt: skip
    SlotFactory(
        series=general, position=0, weekday=2, local_time=datetime.time(9), zone="Asia/Tokyo"
    )
    SlotFactory(
        series=general, position=1, weekday=1, local_time=datetime.time(16), zone="Europe/Paris"
    )
    services.extend_series(series=general)
    now = timezone.now().replace(microsecond=0)
    past = MeetingFactory(
        series=general, starts_at=now - datetime.timedelta(days=7),
        ends_at=now - datetime.timedelta(days=7, hours=-1), status="held",
        agenda="1. Status", notes="## Decisions\n\n- Keep the slot.", notes_published=True,
    )  # fmt: skip
    upcoming = general.meetings.filter(starts_at__gt=now).order_by("starts_at").first()
    return {"coordinator": coordinator, "past": past, "upcoming": upcoming}


def violations(page, axe_script) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
        " target: v.nodes[0] && v.nodes[0].target.join(' ')}))"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) ×{v['nodes']} e.g. {v['target']}"
        for v in result
        if v["impact"] in SERIOUS
    ]


def public_paths(site) -> list[str]:
    return [
        "/",
        "/members/",
        "/members/orange/",
        "/sub-teams/",
        "/sub-teams/extreme-testing/",
        "/tools/",
        "/meetings/",
        "/meetings/past/",
        f"/meetings/{site['past'].pk}/",
        "/meetings/series/general-meeting/",
        "/join/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
    ]


def coordinator_paths(site) -> list[str]:
    upcoming = site["upcoming"].pk
    return [
        "/dashboard/",
        "/meetings/manage/",
        "/meetings/manage/series/new/?kind=general",
        "/meetings/manage/series/general-meeting/",
        f"/meetings/manage/{upcoming}/",
        f"/meetings/manage/{upcoming}/text/agenda/",
        f"/meetings/manage/{upcoming}/attendance/",
        f"/meetings/manage/{upcoming}/cancel/",
        f"/meetings/manage/{upcoming}/attachments/",
        "/meetings/manage/participation/",
        "/join/applications/",
        "/profile/",
    ]


def test_public_pages_have_no_serious_accessibility_violations(
    live_server, browser, site, axe_script
):
    context = browser.new_context(bypass_csp=True)  # to inject axe; the portal's CSP stays
    page = context.new_page()
    found = {}
    for path in public_paths(site):
        page.goto(live_server.url + path)
        if problems := violations(page, axe_script):
            found[path] = problems
    assert found == {}


def test_coordinator_forms_have_no_serious_accessibility_violations(
    live_server, browser, site, axe_script
):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("cora@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    found = {}
    for path in coordinator_paths(site):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        if problems := violations(page, axe_script):
            found[path] = problems
    assert found == {}


def test_keyboard_reaches_skip_link_first_with_visible_focus(live_server, browser, site):
    page = browser.new_page()
    page.goto(f"{live_server.url}/meetings/")

    page.keyboard.press("Tab")

    focused = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {text: e.textContent.trim(), outline: s.outlineStyle,"
        " left: e.getBoundingClientRect().left}; }"
    )
    assert focused["text"] == "Skip to content"
    assert focused["outline"] != "none"
    assert focused["left"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_join_form_can_be_sent_by_keyboard_alone(live_server, browser, site):
    page = browser.new_page()
    page.goto(f"{live_server.url}/join/")
    page.get_by_label("Company name:", exact=True).focus()

    page.keyboard.type("Keyboard Co")
    # Walk the whole form with Tab to the submit button, as a keyboard user does.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")

    expect(page.locator("#form-errors")).to_be_visible()
    assert page.get_by_label("Company name:", exact=True).input_value() == "Keyboard Co"
