"""Public pages keep a constant number of queries however many companies and people exist."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Role
from tests.factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
    SubTeamMembershipFactory,
    ToolLinkFactory,
)


def grow(n: int) -> None:
    """Add n member companies with two coordinators and an executive each, and n sub-teams."""
    for _ in range(n):
        company = CompanyFactory()
        for kind in (Role.Kind.COORDINATOR, Role.Kind.COORDINATOR, Role.Kind.EXECUTIVE):
            RoleFactory(company=company, kind=kind, person=PersonFactory(company=company))
        SubTeamMembershipFactory.create_batch(2)
        ToolLinkFactory()


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# (url name, args, pinned maximum for an anonymous visitor)
PAGES = [
    ("portal:home", [], 4),
    ("members:company-list", [], 3),
    ("members:subteam-list", [], 1),
    ("members:tool-list", [], 1),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "pinned"), PAGES)
def test_public_page_queries_pinned(client, name, args, pinned, django_assert_max_num_queries):
    grow(3)

    with django_assert_max_num_queries(pinned):
        assert client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "pinned"), PAGES)
def test_public_page_queries_do_not_grow_with_data(client, name, args, pinned):
    grow(2)
    small = count_queries(client, reverse(name, args=args))

    grow(20)
    large = count_queries(client, reverse(name, args=args))

    assert large == small


@pytest.mark.django_db
def test_detail_pages_queries_do_not_grow_with_people(client):
    company = CompanyFactory(name="Big Co")
    membership = SubTeamMembershipFactory()
    team = membership.sub_team
    urls = [
        reverse("members:company-detail", args=[company.slug]),
        reverse("members:subteam-detail", args=[team.slug]),
    ]
    RoleFactory(company=company)
    small = [count_queries(client, url) for url in urls]

    for _ in range(15):
        RoleFactory(company=company, person=PersonFactory(company=CompanyFactory()))
        SubTeamMembershipFactory(sub_team=team, person=PersonFactory(company=CompanyFactory()))
    large = [count_queries(client, url) for url in urls]

    assert large == small
    assert max(large) <= 3


@pytest.mark.django_db
def test_logged_in_company_list_queries_pinned(client, coordinator, django_assert_max_num_queries):
    grow(5)
    client.force_login(coordinator)

    # session, user, the user's roles (permissions), companies, their roles, former members
    with django_assert_max_num_queries(6):
        assert client.get(reverse("members:company-list")).status_code == 200


def schedule(n: int) -> None:
    """n upcoming meetings of each a public and a board series, each with a slot."""
    for kind, audience in (("general", "public"), ("board", "board")):
        series = SeriesFactory(kind=kind, audience=audience)
        slot = SlotFactory(series=series)
        for k in range(n):
            start = timezone.now() + datetime.timedelta(days=k + 1)
            MeetingFactory(
                series=series,
                slot=slot,
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=1),
            )


@pytest.mark.django_db
@pytest.mark.parametrize("meetings", [1, 12])
def test_home_page_queries_pinned_with_one_or_many_meetings(
    client, meetings, django_assert_max_num_queries
):
    schedule(meetings)

    # companies, sub-teams, the next meetings with their series and slots, the profile
    with django_assert_max_num_queries(4):
        response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert len(response.context["next_meetings"]) == min(meetings, 5)


@pytest.mark.django_db
@pytest.mark.parametrize("meetings", [1, 12])
def test_home_page_queries_pinned_for_an_executive(
    client, executive, meetings, django_assert_max_num_queries
):
    schedule(meetings)
    client.force_login(executive)

    # session, user, the user's roles (permissions), then the four of the anonymous page
    with django_assert_max_num_queries(7):
        response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert len(response.context["next_meetings"]) == min(2 * meetings, 5)
