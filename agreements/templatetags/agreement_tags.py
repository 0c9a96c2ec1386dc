"""Template helpers of the register: what the viewer may see of linked items."""

from __future__ import annotations

from django import template

from agreements import permissions
from agreements.models import ActionItem, Agreement
from agreements.selectors import meeting_memory as memory_of
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


@register.inclusion_tag("agreements/includes/_meeting_memory.html", takes_context=True)
def meeting_memory(context, meeting: Meeting) -> dict:
    """What the register says about a meeting, as the viewer (the page's `access`) may
    see it: the meeting page asks here, so the meetings app needs no agreements code."""
    access = context["access"]
    return {
        "meeting": meeting,
        "access": access,
        "memory": memory_of(meeting=meeting, access=access),
        "request": context.get("request"),
    }
