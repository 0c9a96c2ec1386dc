"""Workflows: status changes with their history, positions, action items, forum topics."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from agreements import services
from agreements.models import ActionItem, Agreement, ForumTopic, Position, Topic
from agreements.selectors import agreement_history
from members.permissions import access_for
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    ForumTopicFactory,
    TopicFactory,
)

from .conftest import meeting

S = Agreement.Status


# Agreements


@pytest.mark.django_db
def test_save_agreement_derives_a_free_slug_and_records_the_proposer(coordinator, company):
    AgreementFactory(title="Share results", slug="share-results")
    agreement = Agreement(title="Share results", summary="Share them.", proposing_company=company)

    services.save_agreement(
        agreement=agreement, actor=coordinator, topics=[], new_topic_names=["Testing", " testing"]
    )

    agreement.refresh_from_db()
    assert agreement.slug == "share-results-2"
    assert agreement.proposed_by == coordinator
    assert [t.name for t in agreement.topics.all()] == ["Testing"]
    assert agreement.history.get().history_user == coordinator


@pytest.mark.django_db
def test_save_agreement_never_takes_a_reserved_slug(coordinator):
    agreement = Agreement(title="Action items", summary="About them.")

    services.save_agreement(agreement=agreement, actor=coordinator, topics=[])

    assert agreement.slug == "action-items-2"


@pytest.mark.django_db
def test_topics_from_names_reuses_existing_topic_in_any_case():
    existing = TopicFactory(name="Security", slug="security")

    topics = services.topics_from_names(["SECURITY", "Edge  sites"])

    assert topics[0] == existing
    assert (topics[1].name, topics[1].slug) == ("Edge sites", "edge-sites")
    assert Topic.objects.count() == 2


@pytest.mark.django_db
def test_change_status_records_who_and_why_in_the_history(coordinator, gm):
    agreement = AgreementFactory()

    services.change_agreement_status(
        agreement=agreement,
        status=S.IN_DISCUSSION,
        actor=coordinator,
        meeting=gm["earlier"],
        note="First reading",
    )
    services.change_agreement_status(
        agreement=agreement, status=S.AGREED, actor=coordinator, meeting=gm["last"]
    )

    agreement.refresh_from_db()
    assert agreement.status == S.AGREED
    assert list(agreement.discussed_at.all()) == [gm["earlier"]]
    records = list(agreement.history.order_by("history_date", "history_id"))
    assert [(r.status, r.history_user, r.history_change_reason) for r in records[-2:]] == [
        (S.IN_DISCUSSION, coordinator, "First reading"),
        (S.AGREED, coordinator, "Agreed"),
    ]


@pytest.mark.django_db
def test_change_status_refused_saves_nothing(coordinator, gm):
    agreement = AgreementFactory(status=S.WITHDRAWN)
    before = agreement.history.count()

    with pytest.raises(ValidationError):
        services.change_agreement_status(
            agreement=agreement, status=S.AGREED, actor=coordinator, meeting=gm["last"]
        )

    agreement.refresh_from_db()
    assert agreement.status == S.WITHDRAWN
    assert agreement.history.count() == before


@pytest.mark.django_db
def test_change_status_to_superseded_by_hand_is_refused(coordinator, gm):
    agreement = AgreementFactory(
        status=S.AGREED, decided_at=gm["last"], decided_on=gm["last"].starts_at.date()
    )

    with pytest.raises(ValidationError) as error:
        services.change_agreement_status(
            agreement=agreement, status=S.SUPERSEDED, actor=coordinator
        )

    assert error.value.messages == [
        "An agreement is superseded when the item that replaces it is agreed."
    ]


@pytest.mark.django_db
def test_agreeing_a_replacement_supersedes_the_earlier_agreement(coordinator, gm):
    old = AgreementFactory(
        status=S.AGREED, decided_at=gm["earlier"], decided_on=gm["earlier"].starts_at.date()
    )
    new = AgreementFactory(supersedes=old)

    services.change_agreement_status(
        agreement=new, status=S.AGREED, actor=coordinator, meeting=gm["last"]
    )

    old.refresh_from_db()
    assert old.status == S.SUPERSEDED
    assert old.superseded_by == new
    # Neutral: the replacing item may be more restricted than the earlier one.
    assert old.history.latest().history_change_reason == "Superseded"


@pytest.mark.django_db
def test_declining_a_replacement_keeps_the_earlier_agreement(coordinator, gm):
    old = AgreementFactory(
        status=S.AGREED, decided_at=gm["earlier"], decided_on=gm["earlier"].starts_at.date()
    )
    new = AgreementFactory(supersedes=old)

    services.change_agreement_status(
        agreement=new, status=S.DECLINED, actor=coordinator, meeting=gm["last"]
    )

    old.refresh_from_db()
    assert old.status == S.AGREED


# Positions


@pytest.mark.django_db
def test_record_position_one_company_one_voice(coordinator, company):
    agreement = AgreementFactory()
    services.record_position(
        agreement=agreement, company=company, stance="objects", actor=coordinator
    )

    services.record_position(
        agreement=agreement,
        company=company,
        stance="agrees",
        comment="After changes",
        actor=coordinator,
    )

    assert list(agreement.positions.values_list("company__name", "stance", "comment")) == [
        ("Orange", "agrees", "After changes")
    ]
    history = agreement_history(agreement=agreement, access=access_for(coordinator))
    assert [c.text for e in history for c in e.changes][:2] == [
        "Orange agrees (was: objects)",
        "Orange objects",
    ]
    assert history[0].who == coordinator


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.AGREED, S.DECLINED, S.WITHDRAWN])
def test_record_position_on_closed_item_is_refused(coordinator, company, gm, status):
    decided = status != S.WITHDRAWN
    agreement = AgreementFactory(
        status=status,
        decided_at=gm["last"] if decided else None,
        decided_on=gm["last"].starts_at.date() if decided else None,
    )

    with pytest.raises(ValidationError) as error:
        services.record_position(
            agreement=agreement, company=company, stance="agrees", actor=coordinator
        )

    assert error.value.code == "closed"
    assert Position.objects.count() == 0


@pytest.mark.django_db
def test_record_position_of_a_non_member_is_refused(chair):
    applicant = CompanyFactory(status="applicant", joined_on=None)

    with pytest.raises(ValidationError) as error:
        services.record_position(
            agreement=AgreementFactory(), company=applicant, stance="agrees", actor=chair
        )

    assert error.value.message_dict == {"company": ["Only member companies take positions."]}


# Action items


@pytest.mark.django_db
def test_save_action_item_takes_the_owners_company(coordinator, company, gm):
    coordinator.company = company
    coordinator.save()
    item = ActionItem(title="Write it", owner=coordinator, raised_at=gm["last"])

    services.save_action_item(item=item, actor=coordinator)

    assert item.company == company
    assert item.history.get().history_user == coordinator


@pytest.mark.django_db
def test_close_and_reopen_action_item_keep_history(coordinator, gm):
    item = ActionItemFactory(raised_at=gm["last"])

    services.close_action_item(item=item, status="done", actor=coordinator)
    services.reopen_action_item(item=item, actor=coordinator)

    item.refresh_from_db()
    assert item.status == "open"
    assert [h.status for h in item.history.order_by("history_id")] == ["open", "done", "open"]


# Forum topics


@pytest.fixture
def next_forum(forum_series):
    return meeting(forum_series, 10)


@pytest.mark.django_db
def test_assign_forum_topic_sets_the_forums_topic_and_presenters(
    gm, next_forum, company, other_company
):
    topic = ForumTopicFactory(title="Live migration at scale", proposed_by_company=company)

    services.assign_forum_topic(
        topic=topic,
        forum=next_forum,
        general_meeting=gm["last"],
        presenting_companies=[company, other_company],
    )

    next_forum.refresh_from_db()
    topic.refresh_from_db()
    assert next_forum.topic == "Live migration at scale"
    assert sorted(c.name for c in next_forum.presenting_companies.all()) == ["NTT", "Orange"]
    assert (topic.status, topic.forum, topic.assigned_at) == ("scheduled", next_forum, gm["last"])


@pytest.mark.django_db
def test_assign_forum_topic_to_another_forum_clears_the_first(gm, forum_series, company):
    first, second = meeting(forum_series, 10), meeting(forum_series, 40)
    topic = ForumTopicFactory(title="Edge sites", proposed_by_company=company)
    services.assign_forum_topic(
        topic=topic, forum=first, general_meeting=gm["last"], presenting_companies=[company]
    )

    services.assign_forum_topic(
        topic=topic, forum=second, general_meeting=gm["last"], presenting_companies=[company]
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.topic, list(first.presenting_companies.all())) == ("", [])
    assert (second.topic, list(second.presenting_companies.all())) == ("Edge sites", [company])


@pytest.mark.django_db
def test_assign_forum_topic_to_a_forum_that_has_one_is_refused(gm, next_forum, company):
    ForumTopicFactory(title="Taken", status="scheduled", forum=next_forum)
    topic = ForumTopicFactory()

    with pytest.raises(ValidationError) as error:
        services.assign_forum_topic(
            topic=topic,
            forum=next_forum,
            general_meeting=gm["last"],
            presenting_companies=[company],
        )

    assert error.value.message_dict == {
        "forum": ["That forum already has a topic: “Taken”. Unassign it first."]
    }
    topic.refresh_from_db()
    assert topic.status == "proposed"


@pytest.mark.django_db
def test_assign_forum_topic_without_presenters_is_refused(gm, next_forum):
    topic = ForumTopicFactory()

    with pytest.raises(ValidationError) as error:
        services.assign_forum_topic(
            topic=topic, forum=next_forum, general_meeting=gm["last"], presenting_companies=[]
        )

    assert error.value.message_dict == {
        "presenting_companies": ["Name at least one presenting company."]
    }
    next_forum.refresh_from_db()
    assert next_forum.topic == ""


@pytest.mark.django_db
def test_unassign_forum_topic_returns_it_to_the_backlog(gm, next_forum, company):
    topic = ForumTopicFactory(title="Telemetry")
    services.assign_forum_topic(
        topic=topic, forum=next_forum, general_meeting=gm["last"], presenting_companies=[company]
    )

    services.move_forum_topic(topic=topic, action="unassign")

    topic.refresh_from_db()
    next_forum.refresh_from_db()
    assert (topic.status, topic.forum) == ("proposed", None)
    assert (next_forum.topic, list(next_forum.presenting_companies.all())) == ("", [])


@pytest.mark.django_db
def test_save_forum_topic_renames_the_scheduled_forum(gm, next_forum, company):
    topic = ForumTopicFactory(title="Old name")
    services.assign_forum_topic(
        topic=topic, forum=next_forum, general_meeting=gm["last"], presenting_companies=[company]
    )
    topic.refresh_from_db()
    topic.title = "New name"

    services.save_forum_topic(topic=topic)

    next_forum.refresh_from_db()
    assert next_forum.topic == "New name"


@pytest.mark.django_db
def test_propose_forum_topic_counts_the_proposer_as_interested(coordinator, company):
    topic = services.propose_forum_topic(
        title="Cost reporting", description="", company=company, actor=coordinator
    )

    assert (topic.slug, list(topic.interested_companies.all())) == ("cost-reporting", [company])


@pytest.mark.django_db
def test_set_interest_adds_and_removes(company, other_company):
    topic = ForumTopicFactory(proposed_by_company=company)

    services.set_interest(topic=topic, company=other_company, interested=True)
    added = list(topic.interested_companies.all())
    services.set_interest(topic=topic, company=other_company, interested=False)

    assert (added, list(topic.interested_companies.all())) == ([other_company], [])


@pytest.mark.django_db
def test_set_interest_on_dropped_topic_is_refused(company):
    topic = ForumTopicFactory(status=ForumTopic.Status.DROPPED)

    with pytest.raises(ValidationError):
        services.set_interest(topic=topic, company=company, interested=True)


# Superseding, visibility and the history


def _agreed(gm, key="last", **fields):
    meeting_ = gm[key]
    return AgreementFactory(
        status=S.AGREED, decided_at=meeting_, decided_on=meeting_.starts_at.date(), **fields
    )


@pytest.mark.django_db
def test_save_agreement_refuses_making_an_agreed_item_supersede_another(chair, gm):
    earlier = _agreed(gm, "earlier", title="A rule")
    later = _agreed(gm, title="B rule")
    later.supersedes = earlier

    with pytest.raises(ValidationError) as error:
        services.save_agreement(agreement=later, actor=chair, topics=[])

    assert list(error.value.message_dict) == ["supersedes"]
    earlier.refresh_from_db()
    assert (earlier.status, earlier.superseded_by_id_or_none()) == (S.AGREED, None)


@pytest.mark.django_db
def test_save_agreement_refuses_removing_the_link_after_superseding(chair, gm):
    earlier = _agreed(gm, "earlier", title="A rule")
    replacement = AgreementFactory(title="B rule", supersedes=earlier)
    services.change_agreement_status(
        agreement=replacement, status=S.AGREED, actor=chair, meeting=gm["last"]
    )
    replacement.refresh_from_db()
    replacement.supersedes = None

    with pytest.raises(ValidationError) as error:
        services.save_agreement(agreement=replacement, actor=chair, topics=[])

    assert list(error.value.message_dict) == ["supersedes"]
    earlier.refresh_from_db()
    assert (earlier.status, earlier.superseded_by_id_or_none()) == (S.SUPERSEDED, replacement.pk)


@pytest.mark.django_db
def test_history_names_the_superseding_item_only_to_those_who_may_see_it(chair, gm):
    earlier = _agreed(gm, "earlier", title="Old public rule")
    secret = AgreementFactory(
        title="Secret board successor", supersedes=earlier, visibility="board"
    )
    services.change_agreement_status(
        agreement=secret, status=S.AGREED, actor=chair, meeting=gm["last"]
    )
    earlier.refresh_from_db()

    public = agreement_history(agreement=earlier, access=access_for(AnonymousUser()))
    board = agreement_history(agreement=earlier, access=access_for(chair))

    # Newest first: the entry where the item became superseded.
    assert (public[0].changes[0].text, public[0].note, public[0].superseded_by) == (
        "status: agreed → superseded",
        "",
        None,
    )
    assert (board[0].note, board[0].superseded_by) == ("", secret)


@pytest.mark.django_db
def test_history_hides_the_successor_named_in_older_records(chair, gm):
    earlier = _agreed(gm, "earlier", title="Old public rule")
    AgreementFactory(title="Secret board successor", supersedes=earlier, visibility="board")
    earlier.status = S.SUPERSEDED
    earlier._change_reason = "Superseded by Secret board successor"
    earlier.save()

    history = agreement_history(agreement=earlier, access=access_for(AnonymousUser()))

    assert [(e.note, e.superseded_by) for e in history] == [("", None), ("", None)]


@pytest.mark.django_db
def test_save_agreement_restricts_action_items_with_a_tightened_agreement(chair, gm):
    agreement = AgreementFactory(title="Soon secret", visibility="public")
    public = ActionItemFactory(title="Public follow-up", raised_at=gm["last"], agreement=agreement)
    members = ActionItemFactory(
        title="Members follow-up", raised_at=gm["last"], agreement=agreement, visibility="members"
    )
    other = ActionItemFactory(title="Unrelated", raised_at=gm["last"])
    agreement.visibility = "board"

    saved = services.save_agreement(agreement=agreement, actor=chair, topics=[])

    assert saved.restricted_action_items == [public, members]
    assert dict(ActionItem.objects.values_list("title", "visibility")) == {
        "Public follow-up": "board",
        "Members follow-up": "board",
        "Unrelated": "public",
    }
    latest = ActionItem.objects.get(pk=public.pk).history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        chair,
        "Restricted with its agreement",
    )
    assert other.history.count() == 1


@pytest.mark.django_db
def test_save_agreement_leaves_more_restricted_action_items_alone(chair, gm):
    agreement = AgreementFactory(visibility="members")
    ActionItemFactory(raised_at=gm["last"], agreement=agreement, visibility="board")
    agreement.visibility = "public"

    saved = services.save_agreement(agreement=agreement, actor=chair, topics=[])

    assert saved.restricted_action_items == []
    assert list(ActionItem.objects.values_list("visibility", flat=True)) == ["board"]
