"""The one place that decides what a person may do, from their active roles.

Views, templates (through the `access` context variable), the admin and later apps
ask `access_for(user)`; nothing else looks at roles to make a permission decision.
The answer is computed once per user object with a single query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

from .models import Company, Person, Role, today

_CACHE_ATTR = "_lcoo_access"


@dataclass(frozen=True)
class Access:
    authenticated: bool = False
    staff: bool = False
    chair: bool = False
    coordinator_of: frozenset[int] = field(default_factory=frozenset)
    executive_of: frozenset[int] = field(default_factory=frozenset)
    contributor: bool = False
    #: Staff with Django's permission to change roles (the admin's own rule).
    role_admin: bool = False

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinator_of)

    @property
    def is_executive(self) -> bool:
        return bool(self.executive_of)

    @property
    def holds_role(self) -> bool:
        return self.chair or self.is_coordinator or self.is_executive or self.contributor

    # What the group's rules let each role do.

    @property
    def can_coordinate(self) -> bool:
        """Schedule meetings, write agendas and notes, move join applications along."""
        return self.chair or self.is_coordinator

    def can_coordinate_company(self, company: Company | int) -> bool:
        company_id = company if isinstance(company, int) else company.pk
        return self.chair or company_id in self.coordinator_of

    @property
    def can_see_board(self) -> bool:
        """Executive Board meetings and board-only material."""
        return self.chair or self.is_executive

    @property
    def can_manage_roles(self) -> bool:
        """Grant and end roles, decide on membership: chairs, and staff whom the admin would
        let change roles (staff status alone grants nothing)."""
        return self.chair or self.role_admin

    @property
    def can_see_contact_details(self) -> bool:
        """E-mail addresses and private profiles of the group's people."""
        return self.holds_role or self.staff

    @property
    def mfa_required(self) -> bool:
        return self.chair or self.staff

    def can_see_person(self, person: Person) -> bool:
        return person.profile_public or self.can_see_contact_details

    # Meetings. Board meetings with their agendas and notes are for executives and chairs;
    # unpublished notes for coordinators; members-only notes for people holding a role.

    def can_see_meeting(self, meeting) -> bool:
        return not meeting.is_board or self.can_see_board

    def can_see_notes(self, meeting) -> bool:
        return self.can_see_meeting(meeting) and (meeting.notes_published or self.can_coordinate)

    def can_see_members_notes(self, meeting) -> bool:
        return self.can_see_notes(meeting) and (self.holds_role or self.staff)

    def can_see_conference_link(self, meeting) -> bool:
        """Logged-in people in the meeting's audience: a public link invites intruders."""
        return self.authenticated and self.can_see_meeting(meeting)

    @property
    def can_see_attendance(self) -> bool:
        return self.authenticated

    def can_edit_meeting(self, meeting) -> bool:
        return self.can_coordinate and self.can_see_meeting(meeting)


ANONYMOUS = Access()


def compute_access(user: Person | AnonymousUser, on: datetime.date | None = None) -> Access:
    if not user.is_authenticated:
        return ANONYMOUS
    roles = _counted(Role.objects.active(on or today()).filter(person=user)).values_list(
        "kind", "company"
    )
    return _access_from_roles(user, roles)


def compute_access_many(people: list[Person], on: datetime.date | None = None) -> dict[int, Access]:
    """Access of many people with one query (for mail fan-outs)."""
    roles: dict[int, list[tuple[str, int | None]]] = {person.pk: [] for person in people}
    rows = _counted(Role.objects.active(on or today()).filter(person__in=people))
    for person_id, kind, company_id in rows.values_list("person_id", "kind", "company"):
        roles[person_id].append((kind, company_id))
    return {person.pk: _access_from_roles(person, roles[person.pk]) for person in people}


def _counted(roles):
    """A former member's roles grant nothing, whatever their dates say: marking a company
    former (on the page or in the admin) ends what its people may do at once."""
    return roles.exclude(company__status=Company.Status.FORMER)


def _access_from_roles(user: Person, roles) -> Access:
    coordinator_of, executive_of = set(), set()
    chair = contributor = False
    for kind, company_id in roles:
        if kind == Role.Kind.CHAIR:
            chair = True
        elif kind == Role.Kind.COORDINATOR:
            coordinator_of.add(company_id)
        elif kind == Role.Kind.EXECUTIVE:
            executive_of.add(company_id)
        elif kind == Role.Kind.CONTRIBUTOR:
            contributor = True
    return Access(
        authenticated=True,
        staff=user.is_staff,
        chair=chair,
        coordinator_of=frozenset(coordinator_of),
        executive_of=frozenset(executive_of),
        contributor=contributor,
        # Only staff are asked (has_perm reads their permissions once per user object).
        role_admin=user.is_staff and user.is_active and user.has_perm("members.change_role"),
    )


def access_for(user: Person | AnonymousUser) -> Access:
    """The user's access for today, cached on the user object for the request."""
    if not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = compute_access(user)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_access(user: Person) -> None:
    """Drop the cached answer after the user's roles changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
