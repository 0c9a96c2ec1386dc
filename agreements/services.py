"""Workflows on the register, action items and forum topics.

Every change to an agreement, a position or an action item is saved with the acting
person, so its history (django-simple-history) says who changed what and when.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from meetings.models import Meeting
from members.models import Company, Person

from .models import RESERVED_SLUGS, ActionItem, Agreement, ForumTopic, Position, Topic
from .permissions import VISIBILITY_RANK, Visibility


def unique_slug(model, text: str, *, exclude_pk: int | None = None, fallback: str) -> str:
    """A free slug derived from `text` (for agreements: never one of the page names)."""
    base = slugify(text)[:180].strip("-") or fallback
    slug, n = base, 2
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while slug in RESERVED_SLUGS or taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _save_with_history(instance, *, actor: Person | None, reason: str = "", **save_kwargs) -> None:
    instance._history_user = actor
    instance._change_reason = reason[:100] or None
    try:
        instance.save(**save_kwargs)
    finally:
        del instance._history_user
        del instance._change_reason


# Agreements -----------------------------------------------------------------------


def topics_from_names(names: list[str]) -> list[Topic]:
    """Existing topics by name (any case), new ones created."""
    topics = []
    for name in dict.fromkeys(" ".join(n.split()) for n in names if n.strip()):
        topic = Topic.objects.filter(name__iexact=name).first()
        if topic is None:
            topic = Topic.objects.create(
                name=name[:100], slug=unique_slug(Topic, name, fallback="topic")
            )
        topics.append(topic)
    return topics


@transaction.atomic
def save_agreement(
    *,
    agreement: Agreement,
    actor: Person,
    topics: list[Topic],
    new_topic_names: list[str] | None = None,
    discussed_at: list[Meeting] | None = None,
) -> Agreement:
    """Create or edit an item's text and facts (its status moves with
    `change_agreement_status`). `agreement` carries the new values, validated.

    When the edit restricts the item's visibility, its action items that were more open
    are restricted with it; they are left in `agreement.restricted_action_items`."""
    created = agreement.pk is None
    if not agreement.slug:
        agreement.slug = unique_slug(
            Agreement, agreement.title, exclude_pk=agreement.pk, fallback="agreement"
        )
    if created and agreement.proposed_by is None:
        agreement.proposed_by = actor
    agreement.full_clean(exclude=["status"])
    _save_with_history(agreement, actor=actor, reason="Proposed" if created else "Edited")
    agreement.topics.set([*topics, *topics_from_names(new_topic_names or [])])
    if discussed_at is not None:
        agreement.discussed_at.set(discussed_at)
    agreement.restricted_action_items = (
        [] if created else restrict_action_items(agreement=agreement, actor=actor)
    )
    return agreement


@transaction.atomic
def restrict_action_items(*, agreement: Agreement, actor: Person | None) -> list[ActionItem]:
    """Raise the visibility of the agreement's action items that are more open than it
    (an action item is never more open than the agreement it serves), and return them.
    Called when an agreement's visibility is tightened."""
    rank = VISIBILITY_RANK[Visibility(agreement.visibility)]
    more_open = [level for level, r in VISIBILITY_RANK.items() if r < rank]
    items = list(
        ActionItem.objects.select_for_update()
        .filter(agreement=agreement, visibility__in=more_open)
        .order_by("pk")
    )
    for item in items:
        item.visibility = agreement.visibility
        _save_with_history(item, actor=actor, reason="Restricted with its agreement")
    return items


def restriction_notice(agreement: Agreement, items: list[ActionItem]) -> str:
    """What the editor is told when restricting an agreement restricted its action items."""
    titles = ", ".join(f"“{item.title}”" for item in items)
    return (
        f"Its action items are now restricted like the item, to "
        f"“{agreement.get_visibility_display()}”: {titles}."
    )


@transaction.atomic
def change_agreement_status(
    *,
    agreement: Agreement,
    status: str,
    actor: Person,
    meeting: Meeting | None = None,
    decided_on: datetime.date | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Agreement:
    """Move an item along (see Agreement.TRANSITIONS). Agreeing an item that supersedes
    an earlier agreement marks that one superseded. A meeting given when an item goes
    into discussion is recorded as a meeting where it was discussed."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if status == Agreement.Status.SUPERSEDED:
        raise ValidationError(
            "An agreement is superseded when the item that replaces it is agreed.",
            code="invalid_transition",
        )
    agreement.move_to(status, meeting=meeting, on=decided_on, now=now)
    label = Agreement.Status(status).label
    _save_with_history(agreement, actor=actor, reason=note or label)
    if meeting is not None and status == Agreement.Status.IN_DISCUSSION:
        agreement.discussed_at.add(meeting)
    if status == Agreement.Status.AGREED and agreement.supersedes_id is not None:
        earlier = Agreement.objects.select_for_update().get(pk=agreement.supersedes_id)
        if earlier.status == Agreement.Status.AGREED:
            earlier.move_to(Agreement.Status.SUPERSEDED, superseded_by=agreement, now=now)
            # The successor may be more restricted than the earlier item: its title stays
            # out of the earlier item's history (the page names it to those who may see it).
            _save_with_history(earlier, actor=actor, reason="Superseded")
    return agreement


@transaction.atomic
def record_position(
    *,
    agreement: Agreement,
    company: Company,
    stance: str,
    actor: Person,
    comment: str = "",
) -> Position:
    """Set a member company's position on an open item (one company, one voice: a new
    position replaces the company's earlier one)."""
    if not agreement.is_open:
        raise ValidationError(
            f"Positions are recorded while an item is proposed or in discussion; this one "
            f"is {agreement.get_status_display().lower()}.",
            code="closed",
        )
    if not company.is_member:
        raise ValidationError({"company": "Only member companies take positions."})
    if stance not in Position.Stance.values:
        raise ValidationError({"stance": "Choose agrees, objects or abstains."})
    position = Position.objects.filter(agreement=agreement, company=company).first()
    if position is None:
        position = Position(agreement=agreement, company=company)
    elif position.stance == stance and position.comment == comment.strip():
        return position
    position.stance = stance
    position.comment = comment.strip()
    position.recorded_by = actor
    position.recorded_at = timezone.now()
    _save_with_history(position, actor=actor)
    # A new position is news about the item: the feed shows it as changed.
    Agreement.objects.filter(pk=agreement.pk).update(updated_at=timezone.now())
    return position


# Action items ----------------------------------------------------------------------


@transaction.atomic
def save_action_item(*, item: ActionItem, actor: Person) -> ActionItem:
    """Create or edit an action item; its company defaults to its owner's."""
    if item.company_id is None and item.owner is not None and item.owner.company_id:
        item.company_id = item.owner.company_id
    item.full_clean(exclude=["status"])
    _save_with_history(item, actor=actor, reason="Raised" if item.pk is None else "Edited")
    return item


@transaction.atomic
def close_action_item(
    *, item: ActionItem, status: str, actor: Person, now: datetime.datetime | None = None
) -> ActionItem:
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    item.close(status, now=now)
    item.closed_by = actor
    _save_with_history(item, actor=actor, reason=ActionItem.Status(status).label)
    return item


@transaction.atomic
def reopen_action_item(*, item: ActionItem, actor: Person) -> ActionItem:
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    item.reopen()
    _save_with_history(item, actor=actor, reason="Reopened")
    return item


# Forum topics ----------------------------------------------------------------------


@transaction.atomic
def propose_forum_topic(
    *, title: str, description: str, company: Company, actor: Person
) -> ForumTopic:
    if not company.is_member:
        raise ValidationError({"proposed_by_company": "Topics are proposed by member companies."})
    topic = ForumTopic(
        title=title.strip(),
        slug=unique_slug(ForumTopic, title, fallback="topic"),
        description=description,
        proposed_by_company=company,
        proposed_by=actor,
    )
    topic.full_clean()
    topic.save()
    # The proposing company is interested in its own topic.
    topic.interested_companies.add(company)
    return topic


@transaction.atomic
def save_forum_topic(*, topic: ForumTopic) -> ForumTopic:
    """Save an edited topic; the forum it is scheduled for shows the new title."""
    old_title = ForumTopic.objects.filter(pk=topic.pk).values_list("title", flat=True).get()
    topic.full_clean()
    topic.save()
    if topic.status == ForumTopic.Status.SCHEDULED and old_title != topic.title:
        Meeting.objects.filter(pk=topic.forum_id, topic=old_title).update(
            topic=topic.title, updated_at=timezone.now()
        )
    return topic


@transaction.atomic
def set_interest(*, topic: ForumTopic, company: Company, interested: bool) -> ForumTopic:
    """A company says it is (or is no longer) interested in a topic."""
    if not topic.is_open:
        raise ValidationError("Interest is recorded for topics in the backlog or scheduled.")
    if not company.is_member:
        raise ValidationError("Only member companies record their interest.")
    if interested:
        topic.interested_companies.add(company)
    else:
        topic.interested_companies.remove(company)
    return topic


def _clear_forum(forum: Meeting, topic: ForumTopic) -> None:
    if forum.topic == topic.title:
        forum.topic = ""
        forum.save(update_fields=["topic", "updated_at"])
        forum.presenting_companies.clear()


@transaction.atomic
def assign_forum_topic(
    *,
    topic: ForumTopic,
    forum: Meeting,
    general_meeting: Meeting,
    presenting_companies: list[Company],
    now: datetime.datetime | None = None,
) -> ForumTopic:
    """A General Meeting gives the topic and its presenting companies to an upcoming
    Topical Forum: the forum's page and calendar entries then show them."""
    topic = ForumTopic.objects.select_for_update().get(pk=topic.pk)
    if not presenting_companies:
        raise ValidationError({"presenting_companies": "Name at least one presenting company."})
    outsiders = [c.name for c in presenting_companies if not c.is_member]
    if outsiders:
        raise ValidationError(
            {"presenting_companies": f"Not member companies: {', '.join(sorted(outsiders))}."}
        )
    taken = (
        ForumTopic.objects.filter(forum=forum, status=ForumTopic.Status.SCHEDULED)
        .exclude(pk=topic.pk)
        .first()
    )
    if taken is not None:
        raise ValidationError(
            {"forum": f"That forum already has a topic: “{taken.title}”. Unassign it first."}
        )
    previous = topic.forum if topic.status == ForumTopic.Status.SCHEDULED else None
    topic.assign(forum=forum, at=general_meeting, now=now)
    topic.save()
    if previous is not None and previous.pk != forum.pk:
        _clear_forum(previous, topic)
    forum.topic = topic.title
    forum.save(update_fields=["topic", "updated_at"])
    forum.presenting_companies.set(presenting_companies)
    return topic


@transaction.atomic
def unassign_forum_topic(*, topic: ForumTopic) -> ForumTopic:
    topic = (
        ForumTopic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=topic.pk)
    )
    forum = topic.forum
    topic.unassign()
    topic.save()
    if forum is not None:
        _clear_forum(forum, topic)
    return topic


@transaction.atomic
def move_forum_topic(
    *, topic: ForumTopic, action: str, now: datetime.datetime | None = None
) -> ForumTopic:
    """Mark presented, drop, or restore to the backlog."""
    topic = (
        ForumTopic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=topic.pk)
    )
    if action == "presented":
        topic.mark_presented(now=now)
    elif action == "drop":
        topic.drop()
    elif action == "restore":
        topic.restore()
    elif action == "unassign":
        return unassign_forum_topic(topic=topic)
    else:
        raise ValidationError(f"Unknown action: {action}.")
    topic.save()
    return topic
