"""Accounts through django-allauth: e-mail login, mandatory verification, password reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from members.models import Person
from tests.factories import PASSWORD, PersonFactory


def signup(client, email="newcomer@example.org", **extra):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": "a-long-new-password-1",
            "password2": "a-long-new-password-1",
            "full_name": "New Comer",
            "time_zone": "Asia/Tokyo",
            **extra,
        },
    )


@pytest.mark.django_db
def test_signup_creates_participant_without_roles_and_sends_verification(client):
    response = signup(client)

    person = Person.objects.get(email="newcomer@example.org")
    assert response.status_code == 302
    assert (person.full_name, person.time_zone, person.roles.count()) == (
        "New Comer",
        "Asia/Tokyo",
        0,
    )
    assert EmailAddress.objects.get(user=person).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newcomer@example.org"]


@pytest.mark.django_db
def test_login_refused_until_email_verified(client):
    signup(client)
    client.logout()

    before = client.post(
        reverse("account_login"),
        {"login": "newcomer@example.org", "password": "a-long-new-password-1"},
    )
    confirm_url = re.search(
        r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body
    )[1]
    client.post(confirm_url)
    after = client.post(
        reverse("account_login"),
        {"login": "newcomer@example.org", "password": "a-long-new-password-1"},
    )

    assert before.status_code == 302
    assert before["Location"] == reverse("account_email_verification_sent")
    assert after.status_code == 302
    assert after["Location"] == reverse("portal:home")
    assert client.get(reverse("members:profile")).status_code == 200


@pytest.mark.django_db
def test_login_by_email_case_insensitive(client):
    PersonFactory(email="cora@example.org")

    response = client.post(
        reverse("account_login"), {"login": "Cora@Example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


@pytest.mark.django_db
def test_signup_honeypot_saves_nothing(client):
    signup(client, website_url="http://spam.example/")

    assert not Person.objects.filter(email="newcomer@example.org").exists()


@pytest.mark.django_db
def test_signup_bad_zone_shows_field_error_and_keeps_input(client):
    response = signup(client, time_zone="Not/AZone")

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert 'value="New Comer"' in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_password_reset_does_not_reveal_which_emails_exist(client):
    PersonFactory(email="known@example.org")

    known = client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # The owner of an unknown address is told there is no account, by mail only.
    assert [m.to for m in mail.outbox] == [["known@example.org"], ["nobody@example.org"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


@pytest.mark.django_db
def test_repeated_failed_logins_are_rate_limited(client):
    PersonFactory(email="target@example.org")

    for _ in range(6):
        client.post(reverse("account_login"), {"login": "target@example.org", "password": "wrong"})
    right_password = client.post(
        reverse("account_login"), {"login": "target@example.org", "password": PASSWORD}
    )

    assert right_password.status_code == 200
    assert "Too many failed login attempts" in right_password.content.decode()
    assert "_auth_user_id" not in client.session
