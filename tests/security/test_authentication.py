"""Logging in: no way around the second factor, nothing told about which e-mail
addresses have an account, and the password reset rate-limited."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, PersonFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
WRONG_CREDENTIALS = "The email address and/or password you specified are not correct."


def current_code(secret: str = TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def staff_with_totp(staff):
    TOTP.activate(staff, TOTP_SECRET)
    return staff


# The admin's login ---------------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_with_password_alone_gives_no_session(client, staff_with_totp):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_with_totp.email, "password": PASSWORD}
    )
    admin_index = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=%2Fadmin%2F",
    )
    assert "_auth_user_id" not in client.session
    assert (admin_index.status_code, admin_index["Location"]) == (302, "/admin/login/?next=/admin/")


@pytest.mark.django_db
def test_admin_sends_anonymous_visitors_to_allauths_login(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/accounts/login/?next=%2Fadmin%2F", 302),
    ]
    assert response.status_code == 200


@pytest.mark.django_db
def test_admin_login_keeps_only_local_next_addresses(client):
    response = client.get("/admin/login/?next=https://evil.example/")

    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_staff_reaches_admin_only_after_the_totp_code(client, staff_with_totp):
    password_step = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": staff_with_totp.email, "password": PASSWORD},
    )
    before_code = client.get("/admin/")
    code_step = client.post(reverse("mfa_authenticate"), {"code": current_code()})
    after_code = client.get("/admin/")

    assert (password_step.status_code, password_step["Location"]) == (
        302,
        reverse("mfa_authenticate"),
    )
    assert before_code.status_code == 302
    assert (code_step.status_code, code_step["Location"]) == (302, "/admin/")
    assert after_code.status_code == 200


@pytest.mark.django_db
def test_wrong_totp_code_gives_no_session(client, staff_with_totp):
    client.post(reverse("account_login"), {"login": staff_with_totp.email, "password": PASSWORD})
    wrong = "000000" if current_code() != "000000" else "111111"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_logged_in_non_staff_is_refused_by_the_admin_login(client, coordinator):
    client.force_login(coordinator)

    # Not sent on to allauth's login, which would send them back: no redirect loop.
    assert client.get("/admin/login/?next=/admin/").status_code == 403


# Not revealing which e-mail addresses exist ---------------------------------------


@pytest.mark.django_db
def test_failed_login_answers_the_same_for_known_and_unknown_addresses(client):
    PersonFactory(email="known@example.org")

    known = client.post(
        reverse("account_login"), {"login": "known@example.org", "password": "wrong-password"}
    )
    unknown = client.post(
        reverse("account_login"), {"login": "nobody@example.org", "password": "wrong-password"}
    )

    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.context["form"].errors == unknown.context["form"].errors
    assert known.context["form"].non_field_errors() == [WRONG_CREDENTIALS]
    assert WRONG_CREDENTIALS in unknown.content.decode()


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client):
    PersonFactory(email="known@example.org")

    known = client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    assert (known.status_code, known["Location"]) == (302, reverse("account_reset_password_done"))
    assert (unknown.status_code, unknown["Location"]) == (
        302,
        reverse("account_reset_password_done"),
    )
    assert [m.to for m in mail.outbox] == [["known@example.org"], ["nobody@example.org"]]


@pytest.mark.django_db
def test_password_reset_is_rate_limited_per_address_known_or_not(client):
    PersonFactory(email="known@example.org")

    statuses = {
        address: [
            client.post(reverse("account_reset_password"), {"email": address}).status_code
            for _ in range(6)
        ]
        for address in ["known@example.org", "nobody@example.org"]
    }

    # Five requests a minute for one address (allauth's default), whether it has an
    # account or not: the limit tells nothing either.
    assert statuses == {
        "known@example.org": [302, 302, 302, 302, 302, 429],
        "nobody@example.org": [302, 302, 302, 302, 302, 429],
    }
    assert len(mail.outbox) == 10
