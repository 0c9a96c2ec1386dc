"""Production hardening: cookies, HSTS, CSP, CSRF on every state-changing request."""

import json

import pytest
from django.http import HttpResponseForbidden
from django.test import Client

from tests.factories import PASSWORD
from tests.lcoo.test_settings import PRODUCTION_ENV, run_manage

from .test_permission_matrix import GET, requests


def csrf_failure(request, reason=""):
    """The CSRF failure view for these tests: a 403 that says it is one."""
    return HttpResponseForbidden(f"CSRF refused: {reason}")


@pytest.fixture
def csrf_marked(settings):
    settings.CSRF_FAILURE_VIEW = "tests.security.test_hardening.csrf_failure"


def refused_for_csrf(response) -> bool:
    return response.status_code == 403 and response.content.startswith(b"CSRF refused: ")


def test_production_cookies_and_hsts():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        "s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, s.CSRF_COOKIE_SAMESITE,"
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_CONTENT_TYPE_NOSNIFF,"
        "s.X_FRAME_OPTIONS, 'unsafe-inline' in str(s.SECURE_CSP.get('script-src'))]))"
    )

    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)

    assert json.loads(result.stdout) == [
        True, True, "Lax", True, True, "Lax", 31_536_000, True, True, "DENY", False,
    ]  # fmt: skip


@pytest.mark.django_db
def test_session_cookie_flags_on_login(client, settings, participant):
    settings.SESSION_COOKIE_SECURE = True

    response = client.post(
        "/accounts/login/", {"login": participant.email, "password": PASSWORD}, secure=True
    )

    cookie = response.cookies["sessionid"]
    assert (bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"]) == (
        True,
        True,
        "Lax",
    )


@pytest.mark.django_db
def test_security_headers_on_pages(client):
    response = client.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_every_url_refuses_a_post_without_csrf_token(chair, with_mfa, world, csrf_marked):
    client = Client(enforce_csrf_checks=True)
    client.force_login(with_mfa(chair))
    # Every URL of the URL configuration (the permission matrix has them all).
    urls = sorted({url for _label, _name, url, _row in requests(GET, world)})

    accepted = {}
    for url in urls:
        response = client.post(url, {})
        if not refused_for_csrf(response):
            accepted[url] = response.status_code

    assert len(urls) > 200
    assert accepted == {}


@pytest.mark.django_db
def test_login_and_reset_forms_refuse_posts_without_csrf_token(participant, csrf_marked):
    client = Client(enforce_csrf_checks=True)

    login = client.post("/accounts/login/", {"login": participant.email, "password": PASSWORD})
    reset = client.post("/accounts/password/reset/", {"email": participant.email})

    assert (refused_for_csrf(login), refused_for_csrf(reset)) == (True, True)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_and_reset_forms_accept_posts_with_csrf_token(participant, csrf_marked):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    reset = client.post(
        "/accounts/password/reset/", {"email": participant.email, "csrfmiddlewaretoken": token}
    )
    login = client.post(
        "/accounts/login/",
        {"login": participant.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert (reset.status_code, login.status_code) == (302, 302)
    assert client.session["_auth_user_id"] == str(participant.pk)
