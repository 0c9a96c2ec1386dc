"""Writing to the outbox: every message the portal sends is a row written in the same
transaction as the change it tells of, and sent by the worker once that commits (see
`lcoo.transport`). A request never talks to the mail server. This module imports no app of
the portal.
"""

from __future__ import annotations

from django.core.mail import EmailMessage

from .models import Mail
from .tasks import queue_mail_sender


def queue_message(message: EmailMessage, *, reason: str, person=None) -> list[Mail]:
    """Write `message` to the outbox, one row per recipient, and have it sent once the
    current transaction commits. Attachments are not kept: messages with attachments
    (meeting announcements) are composed when sent, from their own rows."""
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", ())
            if mimetype == "text/html"
        ),
        "",
    )
    body = message.body
    if getattr(message, "content_subtype", "plain") == "html":
        body, html = "", message.body
    headers = {key: str(value) for key, value in message.extra_headers.items()}
    headers.pop("Message-ID", None)
    rows = Mail.objects.bulk_create(
        Mail(
            recipient=recipient,
            reason=reason,
            subject=str(message.subject),
            body=body,
            html=html,
            headers=headers,
            person=person,
        )
        for recipient in [*message.to, *message.cc, *message.bcc]
    )
    if rows:
        queue_mail_sender()
    return rows
