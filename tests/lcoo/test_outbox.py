"""The shared outbox: written with the change, sent after it commits, never in the way of
the request, and sent by `run_due_jobs` once the mail server is back."""

from __future__ import annotations

import datetime

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lcoo import transport
from lcoo.models import Mail
from lcoo.outbox import queue_message
from tests.factories import PersonFactory
from tests.mailserver import MailServer


def _message(to: str, subject: str = "Hello") -> EmailMessage:
    return EmailMessage(subject, "Body text", to=[to])


@pytest.mark.django_db(transaction=True)
def test_queued_message_goes_out_only_once_its_change_commits(mail_server):
    with transaction.atomic():
        (row,) = queue_message(_message("a@example.org"), reason="test")
        assert mail_server.recorder.count() == 0

    row.refresh_from_db()
    assert row.status == Mail.Status.SENT
    assert mail_server.recorder.by_recipient() == {"a@example.org": [row.message_id]}


@pytest.mark.django_db(transaction=True)
def test_queued_message_of_a_rolled_back_change_is_never_sent(mail_server):
    def change_that_fails():
        with transaction.atomic():
            queue_message(_message("a@example.org"), reason="test")
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert Mail.objects.count() == 0
    assert mail_server.recorder.count() == 0


@pytest.mark.django_db
def test_queue_message_keeps_subject_text_html_and_headers():
    message = EmailMultiAlternatives(
        "Subject", "Plain", to=["a@example.org", "b@example.org"], headers={"X-Why": "test"}
    )
    message.attach_alternative("<p>Rich</p>", "text/html")

    rows = queue_message(message, reason="notice")

    assert [(r.recipient, r.subject, r.body, r.html, r.headers) for r in rows] == [
        ("a@example.org", "Subject", "Plain", "<p>Rich</p>", {"X-Why": "test"}),
        ("b@example.org", "Subject", "Plain", "<p>Rich</p>", {"X-Why": "test"}),
    ]
    sent = rows[0].as_message()
    assert (sent.to, sent.extra_headers["Message-ID"]) == (["a@example.org"], rows[0].message_id)


@pytest.mark.django_db(transaction=True)
def test_password_reset_with_the_mail_server_down_answers_and_run_due_jobs_sends_later(
    client, settings
):
    server = MailServer()  # its port is chosen, nothing listens yet
    settings.MAILERS = server.mailers_setting
    PersonFactory(email="known@example.org")

    response = client.post(reverse("account_reset_password"), {"email": "known@example.org"})

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("account_reset_password_done"),
    )
    row = Mail.objects.get()
    assert (row.status, row.attempts, row.recipient) == (
        Mail.Status.PENDING,
        1,
        "known@example.org",
    )
    assert "Connection refused" in row.last_error

    server.start()
    try:
        call_command("run_due_jobs")
        call_command("run_due_jobs")  # a second run sends nothing again
        received = server.recorder.by_recipient()
        body = server.recorder.received[0].message.get_body(("plain",)).get_content()
    finally:
        server.stop()

    assert received == {"known@example.org": [row.message_id]}
    assert "/accounts/password/reset/key/" in body
    row.refresh_from_db()
    assert row.status == Mail.Status.SENT


@pytest.mark.django_db
def test_a_message_that_cannot_be_built_fails_alone_and_the_rest_go_out(mail_server):
    bad = queue_message(
        _message("a@example.org", subject="Topic\r\nBcc: x@evil.example"), reason="t"
    )
    good = queue_message(_message("b@example.org"), reason="t")

    result = transport.deliver_pending_mail()
    again = transport.deliver_pending_mail()

    assert (result.sent, result.failed, again.claimed) == (1, 1, 0)
    bad[0].refresh_from_db()
    good[0].refresh_from_db()
    assert bad[0].status == Mail.Status.FAILED
    assert bad[0].last_error == (
        "ValueError: Header values may not contain linefeed or carriage return characters"
    )
    assert good[0].status == Mail.Status.SENT
    assert mail_server.recorder.by_recipient() == {"b@example.org": [good[0].message_id]}


@pytest.mark.django_db
def test_refused_recipient_fails_for_good_and_other_recipients_still_get_theirs(mail_server):
    refused = queue_message(_message("nobody@refuse.invalid"), reason="t")
    fine = queue_message(_message("b@example.org"), reason="t")

    async def refuse(server, session, envelope, address, rcpt_options):
        if address.endswith("@refuse.invalid"):
            return "550 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    mail_server.recorder.handle_RCPT = refuse
    try:
        result = transport.deliver_pending_mail()
    finally:
        del mail_server.recorder.handle_RCPT

    assert (result.sent, result.failed) == (1, 1)
    assert Mail.objects.get(pk=refused[0].pk).status == Mail.Status.FAILED
    assert Mail.objects.get(pk=fine[0].pk).status == Mail.Status.SENT


@pytest.mark.django_db
def test_rows_in_backoff_wait_for_the_worker_but_not_for_run_due_jobs(settings):
    server = MailServer()
    settings.MAILERS = server.mailers_setting
    queue_message(_message("a@example.org"), reason="t")
    transport.deliver_pending_mail()  # the server is down: the row backs off

    server.start()
    try:
        worker = transport.deliver_pending_mail()  # not due yet
        call_command("run_due_jobs")  # an operator's catch-up sends every pending row
        count = server.recorder.count()
    finally:
        server.stop()

    assert (worker.claimed, count) == (0, 1)


@pytest.mark.django_db
def test_console_mail_in_development_prints_every_message(settings, capsys):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    queue_message(_message("a@example.org", subject="Welcome aboard"), reason="t")

    call_command("run_due_jobs")

    out = capsys.readouterr().out
    assert "Subject: Welcome aboard" in out
    assert "To: a@example.org" in out
    assert Mail.objects.get().status == Mail.Status.SENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("bob@exämple.org", Mail.Status.SENT),  # the domain goes out IDNA-encoded
        ("bøb@example.org", Mail.Status.FAILED),  # a local part the server cannot take
    ],
)
def test_an_address_the_server_cannot_take_fails_alone_and_blocks_nothing(
    mail_server, address, status
):
    odd = queue_message(_message(address), reason="t")
    fine = queue_message(_message("b@example.org"), reason="t")

    transport.deliver_pending_mail()
    again = transport.deliver_pending_mail()

    assert Mail.objects.get(pk=odd[0].pk).status == status
    assert Mail.objects.get(pk=fine[0].pk).status == Mail.Status.SENT
    assert again.claimed == 0


@pytest.mark.django_db
def test_sent_messages_forget_their_links_after_a_week_and_pending_ones_keep_them():
    sent, waiting = (
        queue_message(_message(f"{who}@example.org"), reason="t")[0] for who in ("a", "b")
    )
    Mail.objects.filter(pk=sent.pk).update(status=Mail.Status.SENT)
    later = timezone.now() + transport.KEEP_BODIES + datetime.timedelta(minutes=1)

    early = transport.forget_sent_bodies()
    blanked = transport.forget_sent_bodies(now=later)
    again = transport.forget_sent_bodies(now=later)

    sent.refresh_from_db()
    waiting.refresh_from_db()
    assert (early, blanked, again) == (0, 1, 0)
    assert (sent.body, sent.recipient, sent.status) == ("", "a@example.org", "sent")
    assert waiting.body == "Body text"
