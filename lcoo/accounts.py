"""django-allauth's account mail through the portal's outbox."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from .context_processors import group_names, subject_prefix
from .outbox import queue_message


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        """The group's short name in brackets, as on the portal's own notices."""
        return subject_prefix() + str(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's own message, written to the outbox instead of sent in the request: a
        sign-up or a password reset never waits on, or fails with, the mail server."""
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **group_names(),
        }
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        queue_message(message, reason=template_prefix.rsplit("/", 1)[-1][:64])
