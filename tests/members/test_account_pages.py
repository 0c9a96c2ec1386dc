"""allauth's pages in the portal's layout, and a chair's first sign-in straight to TOTP setup."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse

from tests.factories import PASSWORD

NAV = '<nav class="site-nav" aria-label="Main">'
STYLESHEET = '<link rel="stylesheet" href="/static/css/portal.css">'
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def in_layout(response) -> bool:
    page = response.content.decode()
    return NAV in page and STYLESHEET in page


def sign_in(client, person):
    return client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})


# A chair's first sign-in --------------------------------------------------------------


@pytest.mark.django_db
def test_chair_first_sign_in_reaches_totp_setup_without_a_password_prompt(client, chair):
    signed_in = sign_in(client, chair)
    home = client.get(signed_in["Location"])

    setup = client.get(home["Location"])

    assert signed_in.status_code == 302
    assert home["Location"].startswith(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    assert in_layout(setup)
    assert 'id="authenticator_secret"' in setup.content.decode()


@pytest.mark.django_db
def test_chair_activates_totp_after_first_sign_in(client, chair):
    sign_in(client, chair)
    setup = client.get(reverse("mfa_activate_totp"))
    secret = setup.context["form"].secret

    response = client.post(reverse("mfa_activate_totp"), {"code": code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=chair, type=Authenticator.Type.TOTP).count() == 1


@pytest.mark.django_db
def test_signed_in_long_ago_asks_for_the_password_again(client, chair, settings):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    sign_in(client, chair)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


@pytest.mark.django_db
def test_a_coordinator_still_reauthenticates_before_totp_setup(client, coordinator):
    sign_in(client, coordinator)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


@pytest.mark.django_db
def test_a_session_without_a_password_sign_in_still_reauthenticates(client, chair):
    client.force_login(chair)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
