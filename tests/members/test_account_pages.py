"""allauth's pages in the portal's layout, and a chair's first sign-in straight to TOTP setup."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
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


# Every allauth page in the portal's layout ---------------------------------------------


@pytest.fixture
def chair_with_mfa(chair):
    TOTP.activate(chair, SECRET)
    RecoveryCodes.activate(chair)
    return chair


@pytest.fixture
def signed_in(client, participant):
    """A participant freshly signed in with the password, and reauthenticated."""
    sign_in(client, participant)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


@pytest.fixture
def chair_signed_in(client, chair_with_mfa):
    """A chair through both factors, then reauthenticated with the password."""
    sign_in(client, chair_with_mfa)
    client.post(reverse("mfa_authenticate"), {"code": code(SECRET)})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
    "account_reset_password_from_key_done",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_entrance_pages_in_the_layout(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert in_layout(response)


@pytest.mark.django_db
def test_login_error_in_the_layout_with_the_checkbox_label_beside_its_box(client, participant):
    response = client.post(
        reverse("account_login"),
        {"login": participant.email, "password": "wrong", "remember": "on"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert in_layout(response)
    assert "The email address and/or password you specified are not correct." in page
    assert '<label for="id_remember">Remember Me</label>' in page
    assert page.index('id="id_remember"') < page.index('<label for="id_remember">')
    assert 'value="' + participant.email + '"' in page


@pytest.mark.django_db
def test_signup_error_in_the_layout(client):
    response = client.post(reverse("account_signup"), {"email": "not-an-address"})

    assert response.status_code == 200
    assert in_layout(response)
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_error_in_the_layout(client):
    response = client.post(reverse("account_reset_password"), {"email": "nope"})

    assert response.status_code == 200
    assert in_layout(response)
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_bad_confirmation_and_reset_keys_in_the_layout(client):
    confirm = client.get(reverse("account_confirm_email", args=["bad-key"]))
    reset = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"})
    )

    assert (confirm.status_code, reset.status_code) == (200, 200)
    assert in_layout(confirm)
    assert in_layout(reset)


SIGNED_IN_PAGES = [
    "account_change_password",
    "account_email",
    "account_logout",
    "account_reauthenticate",
    "mfa_index",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_in_the_layout(signed_in, name):
    response = signed_in.get(reverse(name))

    assert response.status_code == 200
    assert in_layout(response)


@pytest.mark.django_db
def test_password_change_error_in_the_layout(signed_in):
    response = signed_in.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "x", "password2": "y"},
    )

    assert response.status_code == 200
    assert in_layout(response)
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_email_add_error_in_the_layout(signed_in):
    response = signed_in.post(reverse("account_email"), {"action_add": "", "email": "nope"})

    assert response.status_code == 200
    assert in_layout(response)
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_reauthenticate_error_in_the_layout(signed_in):
    response = signed_in.post(reverse("account_reauthenticate"), {"password": "wrong"})

    assert response.status_code == 200
    assert in_layout(response)
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_totp_setup_shows_the_whole_secret_and_the_qr_code(signed_in):
    response = signed_in.get(reverse("mfa_activate_totp"))

    page = response.content.decode()
    secret = response.context["form"].secret
    assert response.status_code == 200
    assert in_layout(response)
    assert f'<code class="totp-secret">{secret}</code>' in page
    assert f'value="{secret}" readonly' in page
    assert 'src="data:image/svg+xml;base64,' in page


@pytest.mark.django_db
def test_totp_setup_wrong_code_in_the_layout(signed_in):
    response = signed_in.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert response.status_code == 200
    assert in_layout(response)
    assert "errorlist" in response.content.decode()
    assert Authenticator.objects.count() == 0


@pytest.mark.django_db
def test_second_factor_step_and_its_error_in_the_layout(client, chair_with_mfa):
    sign_in(client, chair_with_mfa)

    page = client.get(reverse("mfa_authenticate"))
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    assert (page.status_code, wrong.status_code) == (200, 200)
    assert in_layout(page)
    assert in_layout(wrong)
    assert "errorlist" in wrong.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["mfa_index", "mfa_deactivate_totp", "mfa_reauthenticate", "mfa_generate_recovery_codes"],
)
def test_two_factor_pages_in_the_layout(chair_signed_in, name):
    response = chair_signed_in.get(reverse(name))

    assert response.status_code == 200
    assert in_layout(response)


@pytest.mark.django_db
def test_recovery_codes_listed_one_per_line_with_a_next_step(chair_signed_in, chair_with_mfa):
    codes = (
        Authenticator.objects.get(user=chair_with_mfa, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()
    )

    response = chair_signed_in.get(reverse("mfa_view_recovery_codes"))

    page = response.content.decode()
    assert response.status_code == 200
    assert in_layout(response)
    assert page.count("<li><code>") == len(codes)
    assert all(f"<li><code>{c}</code></li>" in page for c in codes)
    assert "I have stored them: continue to the portal" in page
    assert reverse("mfa_download_recovery_codes") in page


@pytest.mark.django_db
def test_recovery_codes_download_is_plain_text(chair_signed_in):
    response = chair_signed_in.get(reverse("mfa_download_recovery_codes"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
