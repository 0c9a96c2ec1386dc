"""Query counts of the register's pages stay the same however many items there are."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Attendance
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    ForumTopicFactory,
    PersonFactory,
    PositionFactory,
    TopicFactory,
)

from .conftest import meeting


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def grow(n: int, gm: dict, forum_series) -> None:
    """n more of everything: agreements with topics and positions, action items, topics."""
    orange = CompanyFactory(name="Orange", slug="orange")
    for i in range(n):
        company = CompanyFactory()
        topic = TopicFactory(name=f"Topic {i}-{company.pk}")
        agreement = AgreementFactory(
            proposing_company=orange if i % 2 else company,
            body="Upgrade the clouds.",
            status="agreed",
            decided_at=gm["last"],
            decided_on=gm["last"].starts_at.date(),
            proposed_on=gm["last"].starts_at.date() - datetime.timedelta(days=3),
        )
        agreement.topics.add(topic)
        agreement.discussed_at.add(gm["earlier"])
        PositionFactory(agreement=agreement, company=company)
        PositionFactory(agreement=agreement, company=orange)
        owner = PersonFactory(company=company)
        ActionItemFactory(
            raised_at=gm["earlier"], owner=owner, company=company, agreement=agreement
        )
        ActionItemFactory(raised_at=gm["last"], owner=owner, company=orange)
        Attendance.objects.create(meeting=gm["earlier"], person=owner, company=orange)
        ForumTopicFactory(proposed_by_company=company).interested_companies.add(orange, company)
        presented = meeting(forum_series, -40 - i)
        presented.presenting_companies.add(orange)


# (url, pinned maximum for an anonymous visitor)
PAGES = [
    # first year, topics and companies for the filters, count, page, the page's topics
    ("/agreements/", 6),
    ("/agreements/?q=upgrade", 6),
    # and the chosen company, looked up by the filter form
    ("/agreements/?status=agreed&company=orange", 7),
    # items, their topics
    ("/agreements/feed.atom", 2),
    ("/agreements/register.csv", 2),
    # companies for the filter, count, page
    ("/agreements/action-items/", 3),
    ("/agreements/action-items.csv", 1),
    # topics with their forums, interested companies, forums' presenters
    ("/agreements/forum-topics/", 3),
    # the company, then attended, presented, forum topics, proposals, positions, actions
    ("/agreements/companies/orange/", 7),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "pinned"), PAGES)
def test_register_page_queries_pinned_and_flat(
    client, gm, forum_series, url, pinned, django_assert_max_num_queries
):
    grow(2, gm, forum_series)
    small = count_queries(client, url)

    grow(30, gm, forum_series)
    with django_assert_max_num_queries(pinned):
        large = count_queries(client, url)

    assert large == small


@pytest.mark.django_db
def test_logged_in_register_queries_pinned(
    client, login, gm, forum_series, django_assert_max_num_queries
):
    login("coordinator")
    grow(10, gm, forum_series)

    # session, user, the user's roles, then the six of an anonymous visit
    with django_assert_max_num_queries(9):
        count_queries(client, "/agreements/")


@pytest.mark.django_db
def test_meeting_memory_is_three_queries(gm, forum_series, coordinator, django_assert_num_queries):
    from agreements.selectors import meeting_memory
    from members.permissions import compute_access

    grow(5, gm, forum_series)
    access = compute_access(coordinator)

    with django_assert_num_queries(3):
        memory = meeting_memory(meeting=gm["next"], access=access)
        for item in memory.carried_over:
            str(item.raised_at.series), str(item.owner), str(item.company), str(item.agreement)

    assert len(memory.carried_over) == 10


@pytest.mark.django_db
def test_agreement_page_queries_flat(client, gm, forum_series, django_assert_max_num_queries):
    grow(1, gm, forum_series)
    agreement = AgreementFactory(title="Watched", slug="watched")
    agreement.discussed_at.add(gm["earlier"])
    small = count_queries(client, "/agreements/watched/")

    for _ in range(15):
        company = CompanyFactory()
        PositionFactory(agreement=agreement, company=company)
        ActionItemFactory(raised_at=gm["last"], agreement=agreement)
        agreement.discussed_at.add(meeting(gm["last"].series, -60 - company.pk))
        agreement.topics.add(TopicFactory())
    with django_assert_max_num_queries(8):
        large = count_queries(client, "/agreements/watched/")

    assert large == small


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["last", "next"])
def test_meeting_page_queries_flat_with_its_memory(client, login, gm, forum_series, which):
    login("coordinator")
    grow(1, gm, forum_series)
    small = count_queries(client, gm[which].get_absolute_url())

    grow(20, gm, forum_series)
    large = count_queries(client, gm[which].get_absolute_url())

    assert large == small
