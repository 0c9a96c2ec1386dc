"""Production hardening: cookies, HSTS, CSP, CSRF on every state-changing request."""

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import PASSWORD
from tests.lcoo.test_settings import PRODUCTION_ENV, run_manage

PORTAL_NAMESPACES = ("members", "meetings", "agreements")


def portal_routes() -> list[tuple[str, str]]:
    """(name, route) of every URL of the portal's own apps."""

    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif isinstance(pattern, URLPattern) and namespace in PORTAL_NAMESPACES:
                yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern)

    return sorted(walk(get_resolver().url_patterns))


def concrete(route: str) -> str:
    """A URL for a route, with placeholder values: CSRF is checked before the view runs."""
    for converter, value in [("<int:pk>", "1"), ("<slug:slug>", "x"), ("<str:token>", "t"),
                             ("<str:field>", "notes"), ("<str:kind>", "general")]:  # fmt: skip
        route = route.replace(converter, value)
    return "/" + route


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
def test_every_portal_url_refuses_a_post_without_csrf_token(chair, with_mfa):
    client = Client(enforce_csrf_checks=True)
    client.force_login(with_mfa(chair))
    routes = portal_routes()

    accepted = [
        name for name, route in routes if client.post(concrete(route), {}).status_code != 403
    ]

    assert len(routes) > 40
    assert accepted == []


@pytest.mark.django_db
def test_login_and_reset_forms_refuse_posts_without_csrf_token(participant):
    client = Client(enforce_csrf_checks=True)

    login = client.post("/accounts/login/", {"login": participant.email, "password": PASSWORD})
    reset = client.post("/accounts/password/reset/", {"email": participant.email})

    assert (login.status_code, reset.status_code) == (403, 403)
