import html
import re
from collections import deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from joining import services as joining
from joining.models import JoinApplication, ProposedDelegate
from meetings.models import Invitation, Meeting
from members.models import Person, Role
from tests.factories import PersonFactory, RoleFactory, SubTeamMembershipFactory

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def populated(company):
    public = PersonFactory(full_name="Paula Public", profile_public=True, company=company)
    hidden = PersonFactory(full_name="Henry Hidden", profile_public=False, company=company)
    RoleFactory(person=public, company=company, kind=Role.Kind.COORDINATOR)
    RoleFactory(person=hidden, company=company, kind=Role.Kind.EXECUTIVE)
    membership = SubTeamMembershipFactory(person=hidden, sub_team__lead=hidden)
    return {"public": public, "hidden": hidden, "sub_team": membership.sub_team}


def anonymous_pages(populated, company):
    return [
        reverse("portal:home"),
        reverse("members:company-list"),
        reverse("members:company-detail", args=[company.slug]),
        reverse("members:subteam-list"),
        reverse("members:subteam-detail", args=[populated["sub_team"].slug]),
        reverse("members:tool-list"),
        reverse("members:person-detail", args=[populated["public"].pk]),
    ]


@pytest.mark.django_db
def test_anonymous_pages_show_no_email_and_no_private_profile(client, populated, company):
    for url in anonymous_pages(populated, company):
        response = client.get(url)
        body = response.content.decode()

        assert response.status_code == 200, url
        assert EMAIL.findall(body) == [], url
        assert "Henry Hidden" not in body, url


@pytest.mark.django_db
def test_public_profile_name_shown_to_anonymous(client, populated, company):
    body = client.get(reverse("members:company-list")).content.decode()

    assert "Paula Public" in body
    assert "a person whose profile is private" in body


@pytest.mark.django_db
def test_private_profile_page_is_404_for_anonymous_and_participant(client, populated, participant):
    url = reverse("members:person-detail", args=[populated["hidden"].pk])

    anonymous_status = client.get(url).status_code
    client.force_login(participant)
    participant_status = client.get(url).status_code

    assert (anonymous_status, participant_status) == (404, 404)


@pytest.mark.django_db
def test_role_holder_sees_names_and_email_addresses(client, populated, coordinator):
    client.force_login(coordinator)

    body = client.get(reverse("members:company-list")).content.decode()

    assert "Henry Hidden" in body
    assert populated["hidden"].email in body


@pytest.mark.django_db
def test_participant_without_role_sees_no_email_addresses(client, populated, participant):
    client.force_login(participant)

    body = client.get(reverse("members:company-list")).content.decode()

    assert populated["public"].email not in body
    assert "Henry Hidden" not in body


# A crawl of everything an anonymous visitor can reach from the home page -----------


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.hrefs.append(value)


FEED_SUFFIXES = (".ics", ".csv", ".atom")
CRAWL_LIMIT = 1500


def same_host_path(href: str, base: str) -> str | None:
    """The path (with query) of a link on this site, or None."""
    url = urlsplit(urljoin("http://testserver" + base, html.unescape(href)))
    if url.scheme not in ("http", "https") or url.netloc != "testserver":
        return None
    if url.path.startswith(("/static/", "/media/")):
        return None
    if url.path.startswith("/accounts/"):
        return url.path  # the login and sign-up pages differ only by where they lead next
    return url.path + (f"?{url.query}" if url.query else "")


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def crawl(client, start: str = "/") -> tuple[dict[str, str], set[str]]:
    """GET every page reachable by links from `start`: {path: body}, and the feeds and
    downloads (.ics, .csv, .atom) they link to, left for later."""
    pages, feeds, queue = {}, set(), deque([start])
    while queue and len(pages) < CRAWL_LIMIT:
        path = queue.popleft()
        if path in pages:
            continue
        response = client.get(path)
        assert response.status_code < 500, path
        pages[path] = body_of(response)
        targets = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets = [response["Location"]]
        elif response.get("Content-Type", "").startswith("text/html"):
            parser = Links()
            parser.feed(pages[path])
            targets = parser.hrefs
        for href in targets:
            target = same_host_path(href, path)
            if target is None or target in pages:
                continue
            if urlsplit(target).path.endswith(FEED_SUFFIXES):
                feeds.add(target)
            else:
                queue.append(target)
    assert not queue, f"the crawl stopped at {CRAWL_LIMIT} pages"
    return pages, feeds


@pytest.mark.django_db
def test_crawl_of_anonymous_pages_shows_no_address_and_no_private_name(client):
    call_command("seed_demo", stdout=StringIO())
    # An application with its delegates and an invitation: addresses of people without
    # an account, which no anonymous page may show either.
    application = joining.submit_application(
        company_name="Acme Cloud", website="https://acme.example.org", hq_timezone="UTC",
        contact_name="Connie Contact", contact_email="connie@acme.example.org",
        contact_role="Ops", interests="Upgrades.",
        coordinators=[("Cody Coord", "cody@acme.example.org")],
        executive=("Ellen Exec", "ellen@acme.example.org"),
    )  # fmt: skip
    joining.confirm_email(token=joining.confirmation_token(application))
    board = Meeting.objects.filter(series__kind="board").upcoming().first()
    Invitation.objects.create(meeting=board, name="Ellen Exec", email="ellen@acme.example.org")
    Person.objects.update(profile_public=False)
    names = set(Person.objects.values_list("full_name", flat=True)) | {
        "Connie Contact", "Cody Coord", "Ellen Exec",
    }  # fmt: skip
    addresses = (
        set(Person.objects.values_list("email", flat=True))
        | set(JoinApplication.objects.values_list("contact_email", flat=True))
        | set(ProposedDelegate.objects.values_list("email", flat=True))
        | set(Invitation.objects.values_list("email", flat=True))
    )

    pages, feeds = crawl(client)
    for path in sorted(feeds):
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = body_of(response)

    assert (len(names), len(addresses)) == (21, 21)  # 18 demo people, 3 applicants' people
    assert {"/", "/members/", "/meetings/", "/meetings/past/", "/agreements/"} <= set(pages)
    assert sum(path.startswith("/meetings/") and path[10:-1].isdigit() for path in pages) > 20
    assert {urlsplit(f).path.rsplit(".", 1)[1] for f in feeds} == {"ics", "atom", "csv"}
    leaks = {
        path: sorted(
            {a for a in addresses if a.lower() in body.lower()} | {n for n in names if n in body}
        )
        for path, body in pages.items()
    }
    assert {path: found for path, found in leaks.items() if found} == {}
