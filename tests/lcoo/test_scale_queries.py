"""Every public page runs the same number of queries on small and on scale data.

The data comes from seed_scale, the command the benchmarks use, at two sizes. The page
cache is off here: these are the queries of a page that is computed.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agreements.models import Agreement, ForumTopic
from meetings.models import Meeting, Series
from members.models import Company

SMALL = {"companies": 4, "people": 30, "meetings": 40, "agreements": 10, "series": 4}
LARGE = {"companies": 40, "people": 600, "meetings": 1200, "agreements": 300, "series": 12}

#: The queries of each anonymous public page, whatever the data.
PAGES = {
    "/": 4,
    "/members/": 3,
    "/sub-teams/": 1,
    "/tools/": 1,
    "/meetings/": 3,
    "/meetings/past/": 2,
    "/agreements/": 6,
    "/agreements/?q=upgrade": 6,
    "/agreements/action-items/": 3,
    "/agreements/forum-topics/": 2,
    "/join/": 1,
    "/meetings/calendar.ics": 2,
    "/agreements/feed.atom": 2,
    "meeting": 6,
    "series": 8,
    "agreement": 8,
    "forum topic": 2,
    "company participation": 7,
}


def _paths() -> dict[str, str]:
    public = Meeting.objects.filter(series__audience="public")
    return {
        **{page: page for page in PAGES if page.startswith("/")},
        "meeting": public.filter(notes_published=True).order_by("-starts_at")[0].get_absolute_url(),
        "series": Series.objects.filter(audience="public", slug__startswith="scale-")
        .order_by("slug")[0]
        .get_absolute_url(),
        "agreement": Agreement.objects.public().order_by("slug")[0].get_absolute_url(),
        "forum topic": ForumTopic.objects.order_by("slug")[0].get_absolute_url(),
        "company participation": "/agreements/companies/"
        + Company.objects.members().order_by("slug")[0].slug
        + "/",
    }


def _count_queries(paths: dict[str, str]) -> dict[str, int]:
    from django.core.cache import cache

    client = Client()
    counts = {}
    for page, path in paths.items():
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (page, path, response.status_code)
        counts[page] = len(ctx.captured_queries)
    return counts


@pytest.mark.django_db
def test_public_pages_run_as_many_queries_on_scale_data_as_on_small(settings):
    settings.PAGE_CACHE_SECONDS = 0
    call_command("seed_scale", **SMALL, seed=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    small = _count_queries(_paths())

    call_command("seed_scale", **LARGE, seed=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    large = _count_queries(_paths())

    assert large == small
    assert large == PAGES
