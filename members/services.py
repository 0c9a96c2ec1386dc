"""Workflows on people and roles. Views, admin and commands call these."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Company, Person, Role, today
from .permissions import forget_access


@transaction.atomic
def grant_role(
    *,
    person: Person,
    kind: str,
    company: Company | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    granted_by: Person | None = None,
    note: str = "",
) -> Role:
    """Give `person` a role. Raises ValidationError when the group's rules forbid it.

    The company row is locked first so that two chairs naming two executives for the
    same company at the same moment cannot both succeed.
    """
    if company is not None:
        Company.objects.select_for_update().get(pk=company.pk)
    role = Role(
        person=person,
        kind=kind,
        company=company,
        starts_on=starts_on or today(),
        ends_on=ends_on,
        granted_by=granted_by,
        note=note,
    )
    role.full_clean()
    role.save()
    forget_access(person)
    return role


@transaction.atomic
def end_role(*, role: Role, last_day: datetime.date | None = None) -> Role:
    """End a role on `last_day` (default: yesterday, so it is inactive from today)."""
    last_day = last_day or today() - datetime.timedelta(days=1)
    if last_day < role.starts_on:
        # A role that never started is withdrawn rather than given an impossible range.
        role.delete()
        forget_access(role.person)
        return role
    if role.ends_on is not None and role.ends_on <= last_day:
        raise ValidationError("This role has already ended.")
    role.ends_on = last_day
    role.full_clean()
    role.save(update_fields=["ends_on"])
    forget_access(role.person)
    return role


@transaction.atomic
def replace_executive(
    *,
    company: Company,
    person: Person,
    starts_on: datetime.date | None = None,
    granted_by: Person | None = None,
) -> Role:
    """Hand the company's executive seat to `person`, ending the current holder's role."""
    starts_on = starts_on or today()
    Company.objects.select_for_update().get(pk=company.pk)
    current = Role.objects.filter(company=company, kind=Role.Kind.EXECUTIVE).overlapping(
        starts_on, None
    )
    for role in current:
        end_role(role=role, last_day=starts_on - datetime.timedelta(days=1))
    return grant_role(
        person=person,
        kind=Role.Kind.EXECUTIVE,
        company=company,
        starts_on=starts_on,
        granted_by=granted_by,
    )
