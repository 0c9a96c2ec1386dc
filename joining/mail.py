"""The one way the joining app sends mail: every notice goes through `send_notice`."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_notice(*, to: str, subject: str, template: str, context: dict) -> None:
    """Send one plain-text mail to one address, its body rendered from `template`."""
    send_mail(
        subject=subject,
        message=render_to_string(template, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[to],
    )
