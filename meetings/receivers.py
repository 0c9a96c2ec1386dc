"""Signal receivers of the meetings app: each calls a workflow, nothing more."""

from __future__ import annotations

from .calendar_tokens import revoke_calendar_tokens


def revoke_calendar_tokens_on_new_password(sender, user, **kwargs) -> None:
    """allauth's password_reset and password_changed."""
    revoke_calendar_tokens(person=user)
