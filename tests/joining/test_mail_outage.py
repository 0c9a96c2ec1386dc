"""The join form with the mail server away: the application is saved once, the applicant
sees the usual answer, and the confirmation goes out once the server is back."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from joining.models import JoinApplication
from lcoo.models import Mail
from tests.joining.test_joining import form_data
from tests.mailserver import MailServer


@pytest.mark.django_db(transaction=True)
def test_join_with_the_mail_server_down_saves_once_and_confirms_when_it_is_back(client, settings):
    server = MailServer()  # its port is chosen; nothing listens until start()
    settings.MAILERS = server.mailers_setting

    response = client.post(reverse("joining:join"), form_data())
    thanks = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, reverse("joining:join-thanks"))
    assert thanks.status_code == 200
    assert JoinApplication.objects.count() == 1
    waiting = Mail.objects.get()
    assert (waiting.recipient, waiting.status, waiting.attempts) == (
        "connie@acme.example.org",
        Mail.Status.PENDING,
        1,
    )

    server.start()
    try:
        call_command("run_due_jobs")
        call_command("run_due_jobs")
        received = server.recorder.received
    finally:
        server.stop()

    assert [r.envelope_to for r in received] == [["connie@acme.example.org"]]
    body = received[0].message.get_body(("plain",)).get_content()
    assert "/join/confirm/" in body
    assert JoinApplication.objects.count() == 1
    assert Mail.objects.get().status == Mail.Status.SENT


@pytest.mark.django_db
def test_join_limit_counts_the_client_behind_the_proxy_not_the_proxy(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    for n in range(5):
        client.post(
            reverse("joining:join"),
            form_data(company_name=f"Flood {n}", contact_email=f"c{n}@flood.example.org"),
            HTTP_X_FORWARDED_FOR="198.51.100.7",
            **proxy,
        )
    flooder = client.post(
        reverse("joining:join"),
        form_data(company_name="Flood 6", contact_email="c6@flood.example.org"),
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        **proxy,
    )
    other = client.post(
        reverse("joining:join"), form_data(), HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
    )

    assert flooder.status_code == 429
    assert other.status_code == 302
    assert JoinApplication.objects.filter(company_name="Acme Cloud").count() == 1
