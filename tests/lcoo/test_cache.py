"""The shared cache against a real Redis server of the test's own, stopped and resumed."""

import os
import signal

import pytest
from django.urls import reverse

from lcoo import pagecache
from meetings.models import CalendarToken
from members.models import Company
from tests.factories import CompanyFactory, PersonFactory


def test_one_redis_client_serves_every_call(shared_redis_cache):
    from django.core.cache import cache

    cache.set("a", 1)
    cache.set("b", {"x": 2})

    assert cache.get_many(["a", "b"]) == {"a": 1, "b": {"x": 2}}
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)


@pytest.mark.django_db
def test_pages_and_forms_work_while_redis_is_stopped(
    client, shared_redis_cache, django_capture_on_commit_callbacks
):
    from joining.models import JoinApplication
    from tests.joining.test_joining import form_data

    process, _ = shared_redis_cache
    CompanyFactory(name="Orange")
    client.get(reverse("members:company-list"))
    process.terminate()
    process.wait(timeout=10)

    page = client.get(reverse("members:company-list"))
    CompanyFactory(name="Intel")  # a save bumps the version: it cannot be written now
    after = client.get(reverse("members:company-list"))
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("joining:join"), form_data(company_name="Acme Cloud"))

    assert (page.status_code, after.status_code, applied.status_code) == (200, 200, 302)
    assert page["X-Page-Cache"] == "miss"  # computed, not served from a cache
    assert "Intel" in after.content.decode()
    assert pagecache._bump_pending is True
    assert JoinApplication.objects.filter(company_name="Acme Cloud").count() == 1


@pytest.mark.django_db
def test_a_change_made_while_redis_hung_retires_pages_once_it_answers(client, shared_redis_cache):
    process, _ = shared_redis_cache
    company = CompanyFactory(name="Orange")
    client.get(reverse("members:company-list"))
    assert client.get(reverse("members:company-list"))["X-Page-Cache"] == "hit"

    os.kill(process.pid, signal.SIGSTOP)  # Redis keeps its data but answers nothing
    try:
        company.name = "Orange Business"
        company.save()
    finally:
        os.kill(process.pid, signal.SIGCONT)
    after = client.get(reverse("members:company-list"))

    assert after["X-Page-Cache"] == "miss"
    assert "Orange Business" in after.content.decode()
    assert pagecache._bump_pending is False


@pytest.mark.django_db
def test_bookkeeping_and_logins_do_not_retire_pages(settings):
    settings.PAGE_CACHE_SECONDS = 300
    person = PersonFactory()
    version = pagecache.data_version()

    person.save(update_fields=["last_login"])
    CalendarToken.issue(person)
    unchanged = pagecache.data_version()
    Company.objects.create(name="Intel", slug="intel", hq_timezone="America/Los_Angeles")

    assert (unchanged, pagecache.data_version()) == (version, version + 1)


@pytest.mark.django_db
def test_no_page_cache_without_a_shared_cache(client, settings):
    settings.PAGE_CACHE_SECONDS = 0  # as with CACHE_URL unset
    CompanyFactory(name="Orange")

    pages = [client.get(reverse("members:company-list")) for _ in range(2)]

    assert all("X-Page-Cache" not in page for page in pages)
