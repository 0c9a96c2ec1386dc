"""Accessibility: axe-core (from npm, injected by the test) on every public page and the
coordinators' main forms; keyboard use, visible focus, and colour never the only signal.

The public pages come from the URL configuration: every URL an anonymous visitor gets
as an HTML page with status 200, its parameters filled from the objects below. A new URL
with parameters and no entry in `url_arguments` fails the test, so it gets checked too.
"""

import datetime
import re
import zoneinfo

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from playwright.sync_api import expect

from joining import services as joining
from meetings import scheduling
from members.models import Role
from tests.e2e.browsing import log_in
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    ForumTopicFactory,
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
# Not the secret of the journeys' chair: allauth remembers used codes for 30 seconds.
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
# The pages the list built from the URL configuration must hold (a guard against a
# mistake in building it): URL names, and how many URLs of each.
REQUIRED_PUBLIC_PAGES = {
    "portal:home": 1,
    "members:person-detail": 1,
    "joining:join-thanks": 1,
    "joining:join-status": 1,
    "joining:join-confirm": 1,
    "meetings:detail": 2,  # a past meeting and an upcoming one
    "agreements:list": 1,
    "agreements:detail": 1,
    "agreements:action-items": 1,
    "agreements:forum-topics": 1,
    "agreements:forum-topic": 1,
    "agreements:company": 1,
}


@pytest.fixture
def site(db):
    orange = CompanyFactory(name="Orange", slug="orange", hq_timezone="Europe/Paris")
    CompanyFactory(name="NTT", slug="ntt", hq_timezone="Asia/Tokyo")
    CompanyFactory(name="AT&T", slug="att", hq_timezone="America/Chicago")
    coordinator = PersonFactory(email="cora@example.org", full_name="Cora Coordinator")
    RoleFactory(person=coordinator, company=orange, kind=Role.Kind.COORDINATOR)
    RoleFactory(person=PersonFactory(full_name="Eve Exec"), company=orange, kind="executive")
    chair = PersonFactory(email="chas@example.org", full_name="Chas Chair")
    RoleFactory(person=chair, company=None, kind=Role.Kind.CHAIR)
    TOTP.activate(chair, TOTP_SECRET)
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
    scheduling.extend_series(series=general)
    now = timezone.now().replace(microsecond=0)
    past = MeetingFactory(
        series=general, starts_at=now - datetime.timedelta(days=7),
        ends_at=now - datetime.timedelta(days=7, hours=-1), status="held",
        agenda="1. Status", notes="## Decisions\n\n- Keep the slot.", notes_published=True,
    )  # fmt: skip
    upcoming = general.meetings.filter(starts_at__gt=now).order_by("starts_at").first()
    agreement = AgreementFactory(
        title="Keep the slot", proposing_company=orange, body="The **slot** stays.",
        proposed_on=(now - datetime.timedelta(days=14)).date(), status="agreed",
        decided_at=past, decided_on=(now - datetime.timedelta(days=7)).date(),
    )  # fmt: skip
    action_item = ActionItemFactory(
        title="Write the runbook", owner=coordinator, company=orange, raised_at=past,
        agreement=agreement, due_on=(now + datetime.timedelta(days=7)).date(),
    )  # fmt: skip
    topic = ForumTopicFactory(title="Upgrades at scale", proposed_by_company=orange)
    application = joining.submit_application(
        company_name="Acme Cloud", website="https://acme.example.org",
        hq_timezone="Europe/Berlin", contact_name="Connie Contact",
        contact_email="connie@acme.example.org", contact_role="Head of operations",
        interests="Upgrades at scale.", coordinators=[("Cody Coord", "cody@acme.example.org")],
        executive=("Ellen Exec", "ellen@acme.example.org"),
    )  # fmt: skip
    address = EmailAddress.objects.get(user=coordinator)
    return {
        "orange": orange,
        "coordinator": coordinator,
        "general": general,
        "past": past,
        "upcoming": upcoming,
        "agreement": agreement,
        "action_item": action_item,
        "topic": topic,
        "application": application,
        "email_key": EmailConfirmationHMAC(address).key,
    }


MANAGE_MEETING_URLS = [
    "edit", "cancel", "publish", "attendance", "attendance-csv", "attachments", "deliveries",
]  # fmt: skip


def url_arguments(site) -> dict[str, list[dict]]:
    """Values for the parameters of every URL that has some: one dict per URL to try.
    Pages for coordinators are here too (an anonymous visitor is sent to log in)."""
    meeting = {"pk": site["upcoming"].pk}
    agreement = {"slug": site["agreement"].slug}
    topic = {"slug": site["topic"].slug}
    return {
        "account_confirm_email": [{"key": site["email_key"]}],
        "account_reset_password_from_key": [
            {"uidb36": user_pk_to_url_str(site["coordinator"]), "key": "no-such-key"}
        ],
        "members:company-detail": [{"slug": site["orange"].slug}],
        "members:person-detail": [{"pk": site["coordinator"].pk}],
        "members:subteam-detail": [{"slug": "extreme-testing"}],
        "joining:join-confirm": [{"token": joining.confirmation_token(site["application"])}],
        "joining:join-status": [{"token": site["application"].status_token}],
        "joining:application-detail": [{"pk": site["application"].pk}],
        "joining:application-action": [{"pk": site["application"].pk}],
        "members:role-end": [{"pk": site["coordinator"].roles.get().pk}],
        "members:role-proposal-decide": [{"pk": 1}],
        "members:company-leave": [{"slug": site["orange"].slug}],
        "members:company-replace-role": [{"slug": site["orange"].slug}],
        "portal:my-company-detail": [{"slug": site["orange"].slug}],
        "members:subteam-edit": [{"slug": "extreme-testing"}],
        "members:subteam-member-remove": [{"slug": "extreme-testing", "pk": 1}],
        "meetings:detail": [{"pk": site["past"].pk}, meeting],
        "meetings:event-ics": [meeting],
        "meetings:kind-feed": [{"kind": "general"}],
        "meetings:series-detail": [{"slug": site["general"].slug}],
        "meetings:series-feed": [{"slug": site["general"].slug}],
        "meetings:series-edit": [{"slug": site["general"].slug}],
        "meetings:series-generate": [{"slug": site["general"].slug}],
        **{
            f"meetings:series-{name}": [{"slug": site["general"].slug}]
            for name in ("end", "reopen", "extra")
        },
        "meetings:restore": [meeting],
        "meetings:attachment-delete": [{"pk": 1}],
        # A file and a feed, not pages: any value will do.
        "meetings:attachment": [{"pk": 1}],
        "meetings:private-feed": [{"token": "not-a-token"}],
        **{f"meetings:{name}": [meeting] for name in MANAGE_MEETING_URLS},
        "meetings:text-edit": [{**meeting, "field": "notes"}],
        "meetings:text-history": [{**meeting, "field": "notes"}],
        "agreements:detail": [agreement],
        "agreements:edit": [agreement],
        "agreements:status": [agreement],
        "agreements:position": [agreement],
        "agreements:action-item-edit": [{"pk": site["action_item"].pk}],
        "agreements:action-item-status": [{"pk": site["action_item"].pk}],
        "agreements:forum-topic": [topic],
        **{
            f"agreements:forum-topic-{name}": [topic]
            for name in ("edit", "interest", "assign", "status")
        },
        "agreements:company": [{"slug": site["orange"].slug}],
    }


def url_names() -> list[str]:
    """The name of every URL of the portal and of allauth (the admin is Django's own)."""

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def candidate_urls(site) -> tuple[dict[str, str], list[str]]:
    """{url: name} for every URL name, and the names with parameters but no arguments."""
    arguments = url_arguments(site)
    urls, missing = {}, []
    for name in url_names():
        try:
            urls[reverse(name)] = name
        except NoReverseMatch:
            if name not in arguments:
                missing.append(name)
            for kwargs in arguments.get(name, []):
                urls[reverse(name, kwargs=kwargs)] = name
    return urls, missing


def pages_for(client: Client, urls: dict[str, str]) -> dict[str, str]:
    """The URLs that answer `client`'s GET with an HTML page, status 200."""
    pages = {}
    for url, name in urls.items():
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages[url] = name
    return pages


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


def check_pages(page, base_url: str, paths, axe_script) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status == 200, path
        if problems := violations(page, axe_script):
            found[path] = problems
    return found


def coordinator_paths(site) -> list[str]:
    upcoming = site["upcoming"].pk
    agreement = site["agreement"].slug
    return [
        "/dashboard/",
        "/meetings/manage/",
        "/meetings/manage/series/new/?kind=general",
        "/meetings/manage/series/general-meeting/",
        "/meetings/manage/series/general-meeting/end/",
        "/meetings/manage/series/general-meeting/extra/",
        f"/meetings/manage/{upcoming}/",
        f"/meetings/manage/{upcoming}/text/agenda/",
        f"/meetings/manage/{upcoming}/attendance/",
        f"/meetings/manage/{upcoming}/cancel/",
        f"/meetings/manage/{upcoming}/attachments/",
        f"/meetings/manage/{upcoming}/deliveries/",
        "/meetings/manage/participation/",
        "/agreements/new/",
        f"/agreements/{agreement}/edit/",
        f"/agreements/{agreement}/position/",
        "/agreements/action-items/new/",
        f"/agreements/action-items/{site['action_item'].pk}/edit/",
        "/agreements/forum-topics/new/",
        "/join/applications/",
        f"/join/applications/{site['application'].pk}/",
        "/profile/",
        "/my-company/orange/",
        "/sub-teams/new/",
        "/sub-teams/extreme-testing/edit/",
    ]


def chair_paths(site) -> list[str]:
    return [
        "/dashboard/roles/",
        "/dashboard/roles/proposals/",
        "/members/orange/leave/",
        "/members/orange/roles/replace/",
        f"/agreements/forum-topics/{site['topic'].slug}/assign/",
    ]


@pytest.mark.browser_context_args(bypass_csp=True)  # to inject axe; the portal's CSP stays
def test_public_pages_have_no_serious_accessibility_violations(live_server, page, site, axe_script):
    urls, missing = candidate_urls(site)
    assert missing == [], "give these URLs arguments in url_arguments()"
    public = pages_for(Client(), urls)
    counts = {name: list(public.values()).count(name) for name in REQUIRED_PUBLIC_PAGES}
    assert counts == REQUIRED_PUBLIC_PAGES

    found = check_pages(page, live_server.url, sorted(public), axe_script)

    assert found == {}


@pytest.mark.browser_context_args(bypass_csp=True)
def test_coordinator_forms_have_no_serious_accessibility_violations(
    live_server, page, site, axe_script
):
    log_in(page, live_server.url, "cora@example.org")

    found = check_pages(page, live_server.url, coordinator_paths(site), axe_script)

    assert found == {}


@pytest.mark.browser_context_args(bypass_csp=True)
def test_chair_forms_have_no_serious_accessibility_violations(live_server, page, site, axe_script):
    log_in(page, live_server.url, "chas@example.org", totp_secret=TOTP_SECRET)

    found = check_pages(page, live_server.url, chair_paths(site), axe_script)

    assert found == {}


def test_fairness_table_says_in_text_what_its_colours_say(live_server, page, site):
    words = {"ok": "office hours", "off": "outside office hours", "night": "night"}

    page.goto(f"{live_server.url}/meetings/series/general-meeting/")

    table = page.locator("table.fairness")
    expect(table.locator("caption")).to_contain_text("outside office hours")
    instants = table.locator("thead time").evaluate_all(
        "times => times.map(t => t.getAttribute('datetime'))"
    )
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => ({zone: r.querySelector('th .meta').textContent.trim(),"
        " cells: [...r.querySelectorAll('td.comfort')].map(td => ({"
        " comfort: [...td.classList].find(c => c.startsWith('comfort-')).slice(8),"
        " time: td.querySelector('time').getAttribute('datetime'),"
        " local: td.querySelector('time').innerText, text: td.innerText.trim(),"
        " aria: td.getAttribute('aria-label') || ''}))}))"
    )
    assert len(rows) == 3
    assert len(instants) >= 2
    for row in rows:
        assert [cell["time"] for cell in row["cells"]] == instants, row["zone"]
        for cell in row["cells"]:
            starts = datetime.datetime.fromisoformat(cell["time"])
            local = starts.astimezone(zoneinfo.ZoneInfo(row["zone"]))
            assert cell["local"] == f"{local:%a %H:%M}", row["zone"]
            # The comfort is said in words (seen, and read out), not only by the colour.
            said = re.sub(r"\s+", " ", f"{cell['text']} {cell['aria']}")
            assert said.startswith(cell["local"]), said
            assert said.removeprefix(cell["local"]).strip() == words[cell["comfort"]], said


def test_keyboard_reaches_skip_link_first_with_visible_focus(live_server, page, site):
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


def test_join_form_can_be_sent_by_keyboard_alone(live_server, page, site):
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
