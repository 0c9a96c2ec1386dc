"""Workflows on the private calendar addresses: revoking a person's, when their password
changes or they ask for a new address."""

from __future__ import annotations

from django.db import transaction

from members.models import Person

from .models import CalendarToken


@transaction.atomic
def revoke_calendar_tokens(*, person: Person) -> int:
    """Kill the person's private feed address at once; their calendar page issues a new
    one on their next visit. After a password reset or change, an address that may have
    leaked with the old password must not outlive it. The number of tokens revoked."""
    revoked, _ = CalendarToken.objects.filter(person=person).delete()
    return revoked
