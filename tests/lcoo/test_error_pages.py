"""Error pages in the portal's layout, saying what the visitor can do next."""

import pytest
from django.test import RequestFactory
from django.urls import path
from django.views import defaults

from lcoo.urls import urlpatterns as portal_urlpatterns

NAV = '<nav class="site-nav" aria-label="Main">'
STYLESHEET = '<link rel="stylesheet" href="/static/css/portal.css">'


def boom(request):
    raise RuntimeError("a fault in a view")


urlpatterns = [path("boom/", boom), *portal_urlpatterns]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    return settings


@pytest.mark.django_db
def test_404_in_the_layout_with_next_steps(client, production):
    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert NAV in page
    assert STYLESHEET in page
    assert "<h1>Page not found</h1>" in page
    assert '<a href="/accounts/login/">Log in</a>' in page


@pytest.mark.django_db
def test_403_tells_a_signed_in_participant_why(client, production, participant):
    client.force_login(participant)

    response = client.get("/meetings/manage/")

    page = response.content.decode()
    assert response.status_code == 403
    assert NAV in page
    assert STYLESHEET in page
    assert "<h1>You may not open this page</h1>" in page
    assert f"You are logged in as {participant.email}" in page
    assert '<a href="/accounts/login/">Log in</a>' not in page


@pytest.mark.django_db
def test_400_for_a_foreign_host_stands_alone(client, production):
    response = client.get("/", HTTP_HOST="evil.example.net")

    page = response.content.decode()
    assert response.status_code == 400
    assert NAV in page
    assert STYLESHEET in page
    assert "<h1>The portal could not understand this request</h1>" in page


@pytest.mark.django_db
def test_500_from_a_failing_view(client, production):
    production.ROOT_URLCONF = __name__
    client.raise_request_exception = False

    response = client.get("/boom/")

    page = response.content.decode()
    assert response.status_code == 500
    assert NAV in page
    assert STYLESHEET in page
    assert "<h1>Something went wrong on our side</h1>" in page


@pytest.mark.django_db
def test_500_page_runs_no_query(production, django_assert_num_queries):
    request = RequestFactory().get("/boom/")

    with django_assert_num_queries(0):
        response = defaults.server_error(request)

    assert response.status_code == 500
    assert STYLESHEET in response.content.decode()
