"""The rules each object keeps: allowed status changes and what they need."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from agreements.models import Agreement, ForumTopic
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    ForumTopicFactory,
    MeetingFactory,
)

from .conftest import meeting

S = Agreement.Status
ALL_STATUSES = list(S)
ALLOWED = {
    (S.PROPOSED, S.IN_DISCUSSION),
    (S.PROPOSED, S.AGREED),
    (S.PROPOSED, S.DECLINED),
    (S.PROPOSED, S.WITHDRAWN),
    (S.IN_DISCUSSION, S.AGREED),
    (S.IN_DISCUSSION, S.DECLINED),
    (S.IN_DISCUSSION, S.WITHDRAWN),
    (S.AGREED, S.SUPERSEDED),
}


def _agreement_in(status, decided_at=None):
    decided = status in Agreement.DECIDED_STATUSES
    return AgreementFactory(
        status=status,
        decided_at=decided_at if decided else None,
        decided_on=datetime.date(2026, 1, 20) if decided else None,
    )


@pytest.mark.django_db
def test_agreement_transitions_table_is_exactly_the_allowed_pairs():
    pairs = {(a, b) for a, targets in Agreement.TRANSITIONS.items() for b in targets}

    assert pairs == ALLOWED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a in ALL_STATUSES for b in ALL_STATUSES if (a, b) not in ALLOWED],
)
def test_agreement_move_to_refuses_transitions_not_allowed(gm, current, target):
    agreement = _agreement_in(current, gm["last"])

    with pytest.raises(ValidationError) as error:
        agreement.move_to(target, meeting=gm["last"])

    assert error.value.code == "invalid_transition"
    assert agreement.status == current


@pytest.mark.django_db
def test_agreement_move_to_explains_what_is_possible(gm):
    agreement = _agreement_in(S.WITHDRAWN)

    with pytest.raises(ValidationError) as error:
        agreement.move_to(S.AGREED, meeting=gm["last"])

    assert error.value.messages == [
        "An item that is withdrawn cannot become agreed: that is final."
    ]


@pytest.mark.django_db
def test_agreement_agree_at_held_meeting_sets_meeting_and_its_date(gm):
    agreement = _agreement_in(S.IN_DISCUSSION)

    agreement.move_to(S.AGREED, meeting=gm["last"])

    assert (agreement.status, agreement.decided_at, agreement.decided_on) == (
        S.AGREED,
        gm["last"],
        gm["last"].starts_at.date(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("target", [S.AGREED, S.DECLINED])
def test_agreement_decision_without_meeting_is_refused(target):
    agreement = _agreement_in(S.PROPOSED)

    with pytest.raises(ValidationError) as error:
        agreement.move_to(target)

    assert error.value.message_dict == {"meeting": ["Say at which meeting it was decided."]}
    assert agreement.status == S.PROPOSED


@pytest.mark.django_db
def test_agreement_decision_at_future_meeting_is_refused(gm):
    agreement = _agreement_in(S.PROPOSED)

    with pytest.raises(ValidationError) as error:
        agreement.move_to(S.AGREED, meeting=gm["next"])

    assert error.value.message_dict == {"meeting": ["That meeting has not taken place yet."]}


@pytest.mark.django_db
def test_agreement_decision_at_cancelled_meeting_is_refused(general):
    cancelled = meeting(general, -5, status="cancelled")
    agreement = _agreement_in(S.PROPOSED)

    with pytest.raises(ValidationError) as error:
        agreement.move_to(S.DECLINED, meeting=cancelled)

    assert error.value.message_dict == {
        "meeting": ["That meeting was cancelled: nothing was decided there."]
    }


@pytest.mark.django_db
def test_agreement_decision_before_proposal_is_refused(gm):
    agreement = AgreementFactory(proposed_on=gm["next"].starts_at.date())

    with pytest.raises(ValidationError) as error:
        agreement.move_to(S.AGREED, meeting=gm["last"])

    assert error.value.message_dict == {
        "decided_on": ["A proposal cannot be decided before it was proposed."]
    }


@pytest.mark.django_db
def test_agreement_superseded_only_by_the_agreed_item_replacing_it(gm):
    old = _agreement_in(S.AGREED, gm["earlier"])
    unrelated = _agreement_in(S.AGREED, gm["last"])

    with pytest.raises(ValidationError):
        old.move_to(S.SUPERSEDED, superseded_by=unrelated)

    assert old.status == S.AGREED


@pytest.mark.django_db
def test_agreement_clean_refuses_superseding_an_undecided_item():
    proposal = _agreement_in(S.PROPOSED)
    newer = AgreementFactory.build(supersedes=proposal, slug="newer")

    with pytest.raises(ValidationError) as error:
        newer.clean()

    assert error.value.message_dict == {"supersedes": ["Only an agreed item can be superseded."]}


@pytest.mark.django_db
def test_agreement_allowed_transitions_leave_superseding_to_the_register(gm):
    agreed = _agreement_in(S.AGREED, gm["last"])

    assert agreed.allowed_transitions == []
    assert _agreement_in(S.PROPOSED).allowed_transitions == [
        S.IN_DISCUSSION,
        S.AGREED,
        S.DECLINED,
        S.WITHDRAWN,
    ]


@pytest.mark.django_db
def test_agreement_reserved_slug_fails_validation():
    agreement = AgreementFactory.build(slug="action-items")

    with pytest.raises(ValidationError) as error:
        agreement.full_clean(exclude=["proposing_company"])

    assert list(error.value.message_dict) == ["slug"]


# Action items


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["done", "dropped"])
def test_action_item_close_open_item(target):
    item = ActionItemFactory()

    item.close(target)

    assert item.status == target
    assert item.closed_at is not None


@pytest.mark.django_db
def test_action_item_close_twice_is_refused():
    item = ActionItemFactory()
    item.close("done")

    with pytest.raises(ValidationError) as error:
        item.close("dropped")

    assert error.value.messages == ["This action item is already done."]
    assert item.status == "done"


@pytest.mark.django_db
def test_action_item_reopen_clears_the_closing():
    item = ActionItemFactory()
    item.close("dropped")

    item.reopen()

    assert (item.status, item.closed_at, item.closed_by) == ("open", None, None)


@pytest.mark.django_db
def test_action_item_reopen_open_item_is_refused():
    with pytest.raises(ValidationError):
        ActionItemFactory().reopen()


@pytest.mark.django_db
def test_action_item_overdue_only_when_open_and_past_due():
    today = datetime.date(2026, 5, 10)
    late = ActionItemFactory.build(due_on=datetime.date(2026, 5, 9))
    due_today = ActionItemFactory.build(due_on=today)
    done_late = ActionItemFactory.build(due_on=datetime.date(2026, 5, 1), status="done")
    undated = ActionItemFactory.build(due_on=None)

    overdue = [item.is_overdue(today) for item in (late, due_today, done_late, undated)]

    assert overdue == [True, False, False, False]


@pytest.mark.django_db
def test_action_item_at_board_meeting_must_be_for_the_board(board_meeting):
    item = ActionItemFactory.build(raised_at=board_meeting, visibility="members")

    with pytest.raises(ValidationError) as error:
        item.clean()

    assert error.value.message_dict == {
        "visibility": ["An action item raised at an Executive Board meeting is for the board only."]
    }


@pytest.mark.django_db
def test_action_item_cannot_be_more_open_than_its_agreement(gm):
    agreement = AgreementFactory(visibility="members")
    item = ActionItemFactory.build(raised_at=gm["last"], agreement=agreement, visibility="public")

    with pytest.raises(ValidationError) as error:
        item.clean()

    assert list(error.value.message_dict) == ["visibility"]


@pytest.mark.django_db
def test_action_item_due_before_its_meeting_is_refused(gm):
    due = gm["last"].starts_at.date() - datetime.timedelta(days=1)
    item = ActionItemFactory.build(raised_at=gm["last"], due_on=due)

    with pytest.raises(ValidationError) as error:
        item.clean()

    assert error.value.message_dict == {
        "due_on": ["The due date is before the meeting that raised the item."]
    }


# Forum topics


@pytest.fixture
def next_forum(forum_series):
    return meeting(forum_series, 10)


@pytest.mark.django_db
def test_forum_topic_assign_schedules_it(gm, next_forum):
    topic = ForumTopicFactory()

    topic.assign(forum=next_forum, at=gm["last"])

    assert (topic.status, topic.forum, topic.assigned_at) == ("scheduled", next_forum, gm["last"])


@pytest.mark.django_db
def test_forum_topic_assign_to_a_general_meeting_is_refused(gm):
    topic = ForumTopicFactory()

    with pytest.raises(ValidationError) as error:
        topic.assign(forum=gm["next"], at=gm["last"])

    assert error.value.message_dict == {"forum": ["Topics are assigned to Topical Forum meetings."]}
    assert topic.status == "proposed"


@pytest.mark.django_db
def test_forum_topic_assign_to_a_past_forum_is_refused(gm, forum_series):
    past = meeting(forum_series, -3)
    topic = ForumTopicFactory()

    with pytest.raises(ValidationError) as error:
        topic.assign(forum=past, at=gm["last"])

    assert error.value.message_dict == {
        "forum": ["That forum has already started; choose an upcoming one."]
    }


@pytest.mark.django_db
def test_forum_topic_assign_at_a_future_general_meeting_is_refused(gm, next_forum):
    topic = ForumTopicFactory()

    with pytest.raises(ValidationError) as error:
        topic.assign(forum=next_forum, at=gm["next"])

    assert error.value.message_dict == {
        "general_meeting": ["That General Meeting has not taken place yet."]
    }


@pytest.mark.django_db
def test_forum_topic_assign_at_a_forum_instead_of_general_meeting_is_refused(
    forum_series, next_forum
):
    past_forum = meeting(forum_series, -30)
    topic = ForumTopicFactory()

    with pytest.raises(ValidationError) as error:
        topic.assign(forum=next_forum, at=past_forum)

    assert error.value.message_dict == {
        "general_meeting": ["Forum topics are assigned at a General Meeting."]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["presented", "dropped"])
def test_forum_topic_assign_closed_topic_is_refused(gm, next_forum, status):
    topic = ForumTopicFactory(status=status, forum=next_forum if status == "presented" else None)

    with pytest.raises(ValidationError) as error:
        topic.assign(forum=next_forum, at=gm["last"])

    assert error.value.code == "invalid_transition"


@pytest.mark.django_db
def test_forum_topic_mark_presented_before_the_forum_is_refused(gm, next_forum):
    topic = ForumTopicFactory(status="scheduled", forum=next_forum)

    with pytest.raises(ValidationError):
        topic.mark_presented()

    assert topic.status == "scheduled"


@pytest.mark.django_db
def test_forum_topic_drop_and_restore():
    topic = ForumTopicFactory()

    topic.drop()
    dropped = topic.status
    topic.restore()

    assert (dropped, topic.status) == (ForumTopic.Status.DROPPED, ForumTopic.Status.PROPOSED)


@pytest.mark.django_db
def test_forum_topic_drop_scheduled_topic_is_refused(forum_series):
    topic = ForumTopicFactory(status="scheduled", forum=MeetingFactory(series=forum_series))

    with pytest.raises(ValidationError):
        topic.drop()


@pytest.mark.django_db
def test_agreement_clean_refuses_adding_supersedes_to_a_decided_item(gm):
    earlier = _agreement_in(S.AGREED, gm["earlier"])
    later = _agreement_in(S.AGREED, gm["last"])
    later.supersedes = earlier

    with pytest.raises(ValidationError) as error:
        later.clean()

    assert error.value.message_dict == {
        "supersedes": [
            "What an item supersedes is settled while it is proposed or in discussion; "
            "this one is agreed."
        ]
    }


@pytest.mark.django_db
def test_agreement_clean_refuses_removing_supersedes_after_superseding(gm):
    earlier = _agreement_in(S.SUPERSEDED, gm["earlier"])
    replacement = AgreementFactory(
        status=S.AGREED, decided_at=gm["last"], decided_on=datetime.date(2026, 1, 20)
    )
    Agreement.objects.filter(pk=replacement.pk).update(supersedes=earlier)
    replacement.refresh_from_db()
    replacement.supersedes = None

    with pytest.raises(ValidationError) as error:
        replacement.clean()

    assert list(error.value.message_dict) == ["supersedes"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.PROPOSED, S.IN_DISCUSSION])
def test_agreement_clean_lets_open_items_change_what_they_supersede(gm, status):
    first = _agreement_in(S.AGREED, gm["earlier"])
    second = _agreement_in(S.AGREED, gm["last"])
    item = AgreementFactory(status=status, supersedes=first)
    item.supersedes = second

    item.clean()

    assert item.supersedes == second
