"""The one way the joining app sends mail: every notice is an outbox row, written in the
transaction of the step it tells of and sent by the worker once that commits."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from lcoo.context_processors import group_names
from lcoo.outbox import queue_message


def queue_notice(*, to: str, subject: str, template: str, context: dict, reason: str) -> None:
    """One plain-text mail to one address, its body rendered from `template`."""
    message = EmailMessage(
        subject=subject, body=render_to_string(template, {**group_names(), **context}), to=[to]
    )
    queue_message(message, reason=reason)
