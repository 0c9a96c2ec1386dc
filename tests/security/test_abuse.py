"""Attacks on the portal, written the way an attacker would try them: through HTTP and
the worker. Each failed against the code before its fix (issue: trust)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, PersonFactory

PROXY = "10.0.0.1"  # the TLS proxy in front of the portal: every request comes from it
LIMITED = "Too many failed login attempts"


def _failed_logins(client, count: int, *, forwarded_for: str) -> None:
    for n in range(count):
        client.post(
            reverse("account_login"),
            {"login": f"guess{n}@example.org", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )


def _login(client, email: str, *, forwarded_for: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


# Behind the proxy, one client cannot lock everyone out --------------------------------


@pytest.mark.django_db
def test_one_client_behind_the_proxy_cannot_lock_others_out_of_login(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    PersonFactory(email="victim@example.org")
    _failed_logins(client, 12, forwarded_for="198.51.100.7")

    attacker = _login(client, "victim@example.org", forwarded_for="198.51.100.7")
    victim = _login(client, "victim@example.org", forwarded_for="203.0.113.9")

    assert LIMITED in attacker.content.decode()
    assert victim.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    PersonFactory(email="someone@example.org")
    # The attacker writes a new address in front each time; the proxy appends the real one.
    for n in range(12):
        client.post(
            reverse("account_login"),
            {"login": f"guess{n}@example.org", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
        )

    again = _login(client, "someone@example.org", forwarded_for="192.0.2.99, 198.51.100.7")

    assert LIMITED in again.content.decode()


# Redis away: every limit degrades the same way ----------------------------------------


@pytest.mark.django_db
def test_with_redis_away_logins_work_and_failed_logins_are_still_limited(
    client, shared_redis_cache
):
    process, _ = shared_redis_cache
    PersonFactory(email="member@example.org")
    process.terminate()
    process.wait(timeout=10)

    member = _login(client, "member@example.org", forwarded_for="203.0.113.9")
    client.logout()
    _failed_logins(client, 12, forwarded_for="203.0.113.9")
    guesser = _login(client, "member@example.org", forwarded_for="203.0.113.9")

    assert member.status_code == 302  # not locked out because the cache is away
    assert LIMITED in guesser.content.decode()  # and guessing is limited all the same
