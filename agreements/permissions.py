"""Who may see and change the group's memory: agreements, action items, forum topics.

Public items are for everyone, members-only items for people holding a role (and staff),
board items for executives and chairs. The person's access (their roles, board access)
comes from `members.permissions.access_for`; this module says what it allows here.
"""

from __future__ import annotations

from django.db import models

from members.models import Company
from members.permissions import Access


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    MEMBERS = "members", "Members of the group"
    BOARD = "board", "Executive Board"


#: From the most open to the most restricted: an item is never more open than what it
#: depends on (a board meeting, a members-only agreement).
VISIBILITY_RANK = {Visibility.PUBLIC: 0, Visibility.MEMBERS: 1, Visibility.BOARD: 2}


def visibilities_for(access: Access) -> frozenset[str]:
    """The visibility levels this person may see."""
    levels = {Visibility.PUBLIC}
    if access.holds_role or access.staff:
        levels.add(Visibility.MEMBERS)
    if access.can_see_board:
        levels.add(Visibility.BOARD)
    return frozenset(levels)


def can_see_agreement(access: Access, agreement) -> bool:
    return agreement.visibility in visibilities_for(access)


def can_see_action_item(access: Access, item) -> bool:
    """Needs the item's meeting with its series (select_related)."""
    return item.visibility in visibilities_for(access) and access.can_see_meeting(item.raised_at)


def can_edit_agreements(access: Access) -> bool:
    """Record and edit agreements, action items and forum topics, and move them along."""
    return access.can_coordinate


def can_speak_for_company(access: Access, company: Company | int) -> bool:
    """Record a company's position on an agreement or its interest in a forum topic:
    one company, one voice, given by its coordinators, its executive or a chair."""
    company_id = company if isinstance(company, int) else company.pk
    return access.chair or company_id in access.coordinator_of or company_id in access.executive_of


def speaks_for(access: Access) -> frozenset[int]:
    """Companies whose voice this person records (all member companies for chairs: ask
    `can_speak_for_company`)."""
    return access.coordinator_of | access.executive_of
