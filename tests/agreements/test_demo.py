import pytest
from django.core.management import call_command
from django.utils import timezone

from agreements.models import ActionItem, Agreement, ForumTopic, Position
from meetings.models import Meeting


def sizes() -> dict[str, int]:
    return {
        "agreements": Agreement.objects.count(),
        "history": Agreement.history.count(),
        "positions": Position.objects.count(),
        "action_items": ActionItem.objects.count(),
        "forum_topics": ForumTopic.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_adds_a_realistic_register_once():
    call_command("seed_demo")
    first = sizes()

    call_command("seed_demo")

    assert sizes() == first
    now = timezone.now()
    agreed = Agreement.objects.filter(status="agreed").select_related("decided_at")
    assert agreed.count() >= 5
    assert all(a.decided_at.status == "held" and a.decided_at.ends_at < now for a in agreed)
    assert set(Agreement.objects.values_list("status", flat=True)) == {
        "proposed",
        "in-discussion",
        "agreed",
        "declined",
        "withdrawn",
        "superseded",
    }
    assert set(Agreement.objects.values_list("visibility", flat=True)) == {
        "public",
        "members",
        "board",
    }
    assert ActionItem.objects.overdue().count() >= 2
    assert ActionItem.objects.open().exclude(pk__in=ActionItem.objects.overdue()).exists()
    assert ForumTopic.objects.backlog().count() >= 3
    assert not Agreement.history.filter(history_user__isnull=True).exists()


@pytest.mark.django_db
def test_seed_demo_carries_open_items_to_the_next_general_meeting_and_fills_the_next_forum():
    call_command("seed_demo")
    upcoming = Meeting.objects.upcoming().exclude(status="cancelled")
    next_gm = upcoming.filter(series__kind="general").first()
    next_forum = upcoming.filter(series__kind="forum").first()

    carried = ActionItem.objects.carried_over_to(next_gm)

    assert carried.count() >= 3
    scheduled = ForumTopic.objects.get(status="scheduled")
    assert (scheduled.forum, next_forum.topic) == (next_forum, scheduled.title)
    assert next_forum.presenting_companies.count() == 3
