"""Template helpers of the register: what the viewer may see of linked items."""

from __future__ import annotations

from django import template

from agreements import permissions
from agreements.models import ActionItem, Agreement
from meetings.models import Meeting

register = template.Library()


@register.filter
def shown_to(item, access) -> bool:
    """Whether the viewer (their `access`) may see a linked agreement, action item or
    meeting; linked items the viewer may not see are left out of the page."""
    if item is None or access is None:
        return False
    if isinstance(item, Agreement):
        return permissions.can_see_agreement(access, item)
    if isinstance(item, ActionItem):
        return permissions.can_see_action_item(access, item)
    if isinstance(item, Meeting):
        return access.can_see_meeting(item)
    raise TypeError(f"shown_to does not know {type(item).__name__}")


@register.filter
def can_edit_agreements(access) -> bool:
    """Whether the viewer (their `access`) records and edits items of the register."""
    return access is not None and permissions.can_edit_agreements(access)


@register.filter
def overdue_on(item: ActionItem, day) -> bool:
    return item.is_overdue(day)
