"""Development mode prints mail readably: a link stays whole on one line."""

import re

import pytest
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.urls import reverse

from joining.models import JoinApplication
from lcoo.console_mail import READABLE
from tests.joining.test_joining import form_data

CONSOLE = {"default": {"BACKEND": "lcoo.console_mail.EmailBackend"}}


@pytest.mark.django_db
def test_join_confirmation_printed_with_its_link_on_one_line(
    client, settings, capsys, django_capture_on_commit_callbacks
):
    settings.MAILERS = CONSOLE
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("joining:join"), form_data())
    call_command("run_due_jobs")

    out = capsys.readouterr().out
    application = JoinApplication.objects.get()
    links = re.findall(r"^.*/join/confirm/.*$", out, flags=re.MULTILINE)
    assert len(links) == 1
    assert links[0].strip().endswith("/")
    assert "Content-Transfer-Encoding: quoted-printable" not in out
    assert "=\n" not in out
    assert application.state == JoinApplication.State.SUBMITTED


def test_long_text_lines_are_printed_as_they_are():
    body = "Open https://portal.example.org/" + "x" * 150 + "/ — then sign in.\n"
    message = EmailMessage("Hi", body, "a@example.org", ["b@example.org"])

    printed = message.message(policy=READABLE).as_bytes().decode()

    assert body in printed
    assert "Content-Transfer-Encoding: 8bit" in printed
