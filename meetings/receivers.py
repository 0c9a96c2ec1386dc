"""Signal receivers of the meetings app: each calls a workflow, nothing more."""

from __future__ import annotations

from .calendar_tokens import revoke_calendar_tokens


def revoke_calendar_tokens_on_new_password(sender, person, **kwargs) -> None:
    """members.signals.password_set: a reset, a change, the admin, `changepassword`."""
    revoke_calendar_tokens(person=person)
