import pytest
from django.urls import reverse

from agreements import services
from tests.factories import CompanyFactory, ForumTopicFactory


@pytest.fixture(autouse=True)
def shared_cache(settings):
    # The page cache needs a cache every process shares; in one test process the local
    # memory cache is that.
    settings.PAGE_CACHE_SECONDS = 300


@pytest.mark.django_db
def test_anonymous_page_served_from_cache_without_queries(client, django_assert_num_queries):
    CompanyFactory(name="Orange")
    first = client.get(reverse("members:company-list"))

    with django_assert_num_queries(0):
        second = client.get(reverse("members:company-list"))

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert "Content-Security-Policy" in second
    assert second["Vary"] == "Cookie"


@pytest.mark.django_db
def test_change_to_the_data_retires_cached_pages(client):
    company = CompanyFactory(name="Orange")
    client.get(reverse("members:company-list"))

    company.name = "Orange Business"
    company.save()
    after = client.get(reverse("members:company-list"))

    assert after["X-Page-Cache"] == "miss"
    assert "Orange Business" in after.content.decode()


@pytest.mark.django_db
def test_each_zone_has_its_own_cached_page(client):
    client.get("/meetings/")
    client.cookies["lcoo_browser_tz"] = "Asia/Tokyo"

    tokyo = client.get("/meetings/")

    assert tokyo["X-Page-Cache"] == "miss"
    assert "shown in <strong>Asia/Tokyo</strong>" in tokyo.content.decode()


@pytest.mark.django_db
def test_logged_in_pages_and_private_areas_are_never_cached(client, coordinator):
    client.force_login(coordinator)

    pages = [client.get(url) for url in ("/members/", "/members/", "/meetings/manage/")]

    assert all("X-Page-Cache" not in page for page in pages)


@pytest.mark.django_db
def test_forms_with_csrf_tokens_are_not_cached(client):
    pages = [client.get("/join/"), client.get("/join/")]

    assert all("X-Page-Cache" not in page for page in pages)


@pytest.mark.django_db
def test_many_to_many_change_retires_cached_pages(client):
    topic = ForumTopicFactory(title="Edge sites", slug="edge-sites")
    company = CompanyFactory(name="Verizon")
    url = reverse("agreements:forum-topic", args=[topic.slug])
    client.get(url)
    cached = client.get(url)

    services.set_interest(topic=topic, company=company, interested=True)
    after = client.get(url)

    assert (cached["X-Page-Cache"], after["X-Page-Cache"]) == ("hit", "miss")
    assert "Verizon" in after.content.decode()


@pytest.mark.django_db
def test_parameters_a_page_reads_are_cached_per_value(client):
    first = client.get("/meetings/past/?page=1")
    second = client.get("/meetings/past/?page=1")

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/agreements/", "/agreements/?q=upgrade", "/agreements/action-items/?page=1"]
)
def test_pages_that_copy_their_query_string_are_served_and_cached(client, url):
    first = client.get(url)
    second = client.get(url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
