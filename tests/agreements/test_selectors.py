"""Carry-over of action items, a meeting's memory, a company's participation."""

import pytest

from agreements.models import ActionItem
from agreements.selectors import company_participation, meeting_memory
from meetings.models import Attendance
from members.permissions import ANONYMOUS, compute_access
from tests.factories import ActionItemFactory, AgreementFactory, PositionFactory

from .conftest import meeting


def titles(items) -> list[str]:
    return [item.title for item in items]


@pytest.fixture
def items(gm):
    return {
        "earlier": ActionItemFactory(title="From earlier", raised_at=gm["earlier"]),
        "last": ActionItemFactory(title="From last", raised_at=gm["last"]),
        "done": ActionItemFactory(
            title="Done already", raised_at=gm["last"], status="done", closed_at=gm["last"].ends_at
        ),
    }


@pytest.mark.django_db
def test_carried_over_to_next_meeting_lists_open_items_of_earlier_meetings(gm, items):
    carried = ActionItem.objects.carried_over_to(gm["next"]).order_by("pk")

    assert titles(carried) == ["From earlier", "From last"]


@pytest.mark.django_db
def test_carried_over_not_on_the_meeting_after_next(gm, items):
    assert list(ActionItem.objects.carried_over_to(gm["later"])) == []


@pytest.mark.django_db
def test_carried_over_not_on_past_meetings(gm, items):
    assert list(ActionItem.objects.carried_over_to(gm["last"])) == []


@pytest.mark.django_db
def test_carried_over_skips_a_cancelled_next_meeting(gm, items):
    gm["next"].status = "cancelled"
    gm["next"].save()

    on_cancelled = list(ActionItem.objects.carried_over_to(gm["next"]))
    on_later = titles(ActionItem.objects.carried_over_to(gm["later"]).order_by("pk"))

    assert (on_cancelled, on_later) == ([], ["From earlier", "From last"])


@pytest.mark.django_db
def test_carried_over_until_closed(gm, items):
    items["earlier"].close("done")
    items["earlier"].save()

    assert titles(ActionItem.objects.carried_over_to(gm["next"])) == ["From last"]


@pytest.mark.django_db
def test_carried_over_only_within_the_series(gm, forum_series, items):
    forum = meeting(forum_series, 5)
    ActionItemFactory(title="Forum item", raised_at=meeting(forum_series, -5))

    forum_items = titles(ActionItem.objects.carried_over_to(forum))
    gm_items = titles(ActionItem.objects.carried_over_to(gm["next"]).order_by("pk"))

    assert (forum_items, gm_items) == (["Forum item"], ["From earlier", "From last"])


@pytest.mark.django_db
def test_carried_over_is_one_query(gm, items, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(ActionItem.objects.carried_over_to(gm["next"]))


@pytest.mark.django_db
def test_meeting_memory_splits_decided_discussed_raised_and_carried(gm, items):
    decided = AgreementFactory(
        title="Decided",
        status="agreed",
        decided_at=gm["last"],
        decided_on=gm["last"].starts_at.date(),
    )
    discussed = AgreementFactory(title="Discussed", status="in-discussion")
    discussed.discussed_at.add(gm["last"], gm["earlier"])
    decided.discussed_at.add(gm["last"])

    at_last = meeting_memory(meeting=gm["last"], access=ANONYMOUS)
    at_next = meeting_memory(meeting=gm["next"], access=ANONYMOUS)

    assert (titles(at_last.decided), titles(at_last.discussed)) == (["Decided"], ["Discussed"])
    assert sorted(titles(at_last.raised)) == ["Done already", "From last"]
    assert at_last.carried_over == []
    assert sorted(titles(at_next.carried_over)) == ["From earlier", "From last"]
    assert (at_next.decided, at_next.raised) == ([], [])


@pytest.mark.django_db
def test_meeting_memory_hides_what_the_viewer_may_not_see(gm, board_meeting, coordinator):
    AgreementFactory(
        title="Members only",
        visibility="members",
        status="agreed",
        decided_at=gm["last"],
        decided_on=gm["last"].starts_at.date(),
    )
    ActionItemFactory(title="Board item", raised_at=gm["last"], visibility="board")
    ActionItemFactory(title="Members item", raised_at=gm["last"], visibility="members")

    public = meeting_memory(meeting=gm["last"], access=ANONYMOUS)
    member = meeting_memory(meeting=gm["last"], access=compute_access(coordinator))

    assert (public.decided, public.raised) == ([], [])
    assert (titles(member.decided), titles(member.raised)) == (["Members only"], ["Members item"])


@pytest.mark.django_db
def test_company_participation_counts_held_meetings_and_visible_items(
    gm, board_meeting, company, coordinator
):
    Attendance.objects.create(meeting=gm["earlier"], person=coordinator, company=company)
    Attendance.objects.create(meeting=gm["last"], person=coordinator, company=company)
    Attendance.objects.create(meeting=board_meeting, person=coordinator, company=company)
    AgreementFactory(title="Public proposal", proposing_company=company)
    secret = AgreementFactory(title="Board proposal", proposing_company=company, visibility="board")
    PositionFactory(agreement=secret, company=company)

    public = company_participation(company=company, access=ANONYMOUS)

    assert [m.pk for m in public.attended] == [gm["last"].pk, gm["earlier"].pk]
    assert titles(public.proposals) == ["Public proposal"]
    assert public.positions == []
    assert public.attended_by_kind == [("General Meeting", 2)]
