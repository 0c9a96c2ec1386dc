"""The dashboard says what needs doing, per role; each item appears when its condition
holds and goes when it is resolved; board material only for those who may see the board."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements.services import close_action_item
from joining.models import JoinApplication
from meetings.models import Attendance, Delivery, Meeting
from members.models import Company, Role
from tests.factories import (
    ActionItemFactory,
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
)

DAY = datetime.timedelta(days=1)


def now():
    return timezone.now()


def dashboard(client, person):
    client.force_login(person)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return response


def ids(pile) -> list[int]:
    return [row.pk for row in pile.rows]


@pytest.fixture
def public_series(db):
    return SeriesFactory(name="General Meeting", slug="gm")


@pytest.fixture
def board_series(db):
    return SeriesFactory(
        name="Executive Board", slug="board", kind="board", audience="board", cadence="explicit"
    )


@pytest.fixture
def chair_in(client, chair, with_mfa):
    with_mfa(chair)
    return chair


def meeting(series, *, starts_in: datetime.timedelta, **fields) -> Meeting:
    starts = now() + starts_in
    return MeetingFactory(
        series=series, starts_at=starts, ends_at=starts + datetime.timedelta(hours=1), **fields
    )


def make_application(state: str, name: str = "Acme Cloud") -> JoinApplication:
    return JoinApplication.objects.create(
        company_name=name,
        website="https://acme.example.org",
        hq_timezone="Europe/Berlin",
        contact_name="Connie",
        contact_email="connie@acme.example.org",
        contact_role="Ops",
        interests="x",
        state=state,
        status_token=f"token-{name}-{state}",
    )


# Everyone -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_participant_sees_their_next_meetings_and_open_items_only(
    client, participant, public_series, board_series
):
    soon = meeting(public_series, starts_in=3 * DAY)
    meeting(board_series, starts_in=2 * DAY, topic="Secret board business")
    cancelled = meeting(public_series, starts_in=4 * DAY, status=Meeting.Status.CANCELLED)
    mine = ActionItemFactory(owner=participant, raised_at=soon, title="Write the FAQ")
    ActionItemFactory(owner=participant, raised_at=soon, status="done", closed_at=now())
    ActionItemFactory(raised_at=soon, title="Someone else's")

    response = dashboard(client, participant)

    page = response.content.decode()
    assert ids(response.context["next_meetings"]) == [soon.pk]
    assert cancelled.pk not in ids(response.context["next_meetings"])
    assert ids(response.context["my_action_items"]) == [mine.pk]
    assert "Secret board business" not in page
    assert "Executive Board" not in page
    assert "Write the FAQ" in page
    assert "For the coordinators" not in page
    assert "without_agenda" not in response.context


@pytest.mark.django_db
def test_a_closed_item_leaves_the_owner_s_dashboard(client, participant, public_series):
    item = ActionItemFactory(owner=participant, raised_at=meeting(public_series, starts_in=DAY))
    before = dashboard(client, participant).context["my_action_items"]
    close_action_item(item=item, status="done", actor=participant)

    after = dashboard(client, participant).context["my_action_items"]

    assert (before.count, after.count) == (1, 0)


@pytest.mark.django_db
def test_executive_sees_the_next_board_meeting(client, executive, board_series):
    board = meeting(board_series, starts_in=5 * DAY)

    response = dashboard(client, executive)

    assert ids(response.context["next_meetings"]) == [board.pk]


# Coordinators ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_meeting_without_agenda_shows_until_it_has_one(client, coordinator, public_series):
    bare = meeting(public_series, starts_in=7 * DAY)
    meeting(public_series, starts_in=20 * DAY)  # too far ahead
    meeting(public_series, starts_in=2 * DAY, agenda="1. Welcome")

    before = dashboard(client, coordinator)
    bare.agenda = "1. Status round"
    bare.save()
    after = dashboard(client, coordinator)

    assert ids(before.context["without_agenda"]) == [bare.pk]
    assert reverse("meetings:edit", args=[bare.pk]) in before.content.decode()
    assert after.context["without_agenda"].count == 0


@pytest.mark.django_db
def test_notes_to_publish_show_until_published(client, coordinator, public_series):
    held = meeting(public_series, starts_in=-10 * DAY, notes="We met.")
    meeting(public_series, starts_in=-90 * DAY)  # too long ago
    meeting(public_series, starts_in=-5 * DAY, status=Meeting.Status.CANCELLED)

    before = dashboard(client, coordinator)
    held.publish_notes()
    after = dashboard(client, coordinator)

    assert ids(before.context["notes_to_publish"]) == [held.pk]
    assert after.context["notes_to_publish"].count == 0


@pytest.mark.django_db
def test_overdue_items_show_until_done(client, coordinator, public_series):
    raised = meeting(public_series, starts_in=-30 * DAY)
    late = ActionItemFactory(raised_at=raised, due_on=now().date() - DAY, title="Late one")
    ActionItemFactory(raised_at=raised, due_on=now().date() + DAY)

    before = dashboard(client, coordinator)
    close_action_item(item=late, status="done", actor=coordinator)
    after = dashboard(client, coordinator)

    assert ids(before.context["overdue_items"]) == [late.pk]
    assert reverse("agreements:action-item-edit", args=[late.pk]) in before.content.decode()
    assert after.context["overdue_items"].count == 0


@pytest.mark.django_db
def test_waiting_applications_show_until_their_step_is_taken(client, coordinator):
    waiting = make_application(JoinApplication.State.CONFIRMED)
    make_application(JoinApplication.State.SUBMITTED, name="Unconfirmed")
    make_application(JoinApplication.State.WELCOMED, name="Done Co")

    before = dashboard(client, coordinator)
    JoinApplication.objects.filter(pk=waiting.pk).update(state=JoinApplication.State.DECLINED)
    after = dashboard(client, coordinator)

    assert ids(before.context["waiting_applications"]) == [waiting.pk]
    assert reverse("joining:application-detail", args=[waiting.pk]) in before.content.decode()
    assert after.context["waiting_applications"].count == 0


@pytest.mark.django_db
def test_failed_announcements_show_until_resent(client, coordinator, public_series):
    announced = meeting(public_series, starts_in=3 * DAY, agenda="x")
    row = Delivery.objects.create(
        meeting=announced,
        kind="announcement",
        recipient="a@example.org",
        sequence=0,
        status=Delivery.Status.FAILED,
    )

    before = dashboard(client, coordinator)
    Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.SENT)
    after = dashboard(client, coordinator)

    assert ids(before.context["failed_announcements"]) == [announced.pk]
    assert before.context["failed_announcements"].rows[0].failed_count == 1
    assert reverse("meetings:deliveries", args=[announced.pk]) in before.content.decode()
    assert after.context["failed_announcements"].count == 0


@pytest.mark.django_db
def test_coordinator_never_sees_board_material(client, coordinator, board_series):
    board = meeting(board_series, starts_in=3 * DAY, topic="Board budget")
    past_board = meeting(board_series, starts_in=-3 * DAY, topic="Board past")
    ActionItemFactory(
        raised_at=past_board, due_on=now().date() - DAY, title="Board task", visibility="public"
    )
    Delivery.objects.create(
        meeting=board, kind="announcement", recipient="x@example.org", sequence=0,
        status=Delivery.Status.FAILED,
    )  # fmt: skip

    response = dashboard(client, coordinator)

    page = response.content.decode()
    for name in ("without_agenda", "notes_to_publish", "overdue_items", "failed_announcements"):
        assert response.context[name].count == 0, name
    assert "Board budget" not in page
    assert "Board past" not in page
    assert "Board task" not in page
    assert "Executive Board" not in page
    assert "board_at_risk" not in response.context


# Chairs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chair_sees_board_items_and_quorum_at_risk(client, chair_in, board_series, company):
    other = CompanyFactory(name="NTT", slug="ntt")
    RoleFactory(kind=Role.Kind.EXECUTIVE, company=company)
    board = meeting(board_series, starts_in=10 * DAY)

    before = dashboard(client, chair_in)
    RoleFactory(kind=Role.Kind.EXECUTIVE, company=other)
    after = dashboard(client, chair_in)

    risk = before.context["board_at_risk"]
    assert (risk.meeting.pk, risk.with_executive, risk.member_count, risk.needed) == (
        board.pk, 1, 2, 2,
    )  # fmt: skip
    assert 'id="quorum-at-risk"' in before.content.decode()
    assert ids(before.context["without_agenda"]) == [board.pk]
    assert after.context["board_at_risk"] is None


@pytest.mark.django_db
def test_quiet_company_shows_until_someone_attends(client, chair_in, public_series, company):
    held = meeting(public_series, starts_in=-20 * DAY, status=Meeting.Status.HELD)
    CompanyFactory(name="New Co", slug="new-co", joined_on=now().date() - 10 * DAY)
    CompanyFactory(name="Gone Co", slug="gone-co", status=Company.Status.FORMER)

    before = dashboard(client, chair_in)
    Attendance.objects.create(meeting=held, company=company, person=PersonFactory())
    after = dashboard(client, chair_in)

    assert [c.name for c in before.context["quiet_companies"].rows] == ["Orange"]
    assert after.context["quiet_companies"].count == 0


# Queries --------------------------------------------------------------------------------


def _lots(series, board_series, chair, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        m = meeting(series, starts_in=(i % 13 + 1) * DAY)
        past = meeting(series, starts_in=-(i % 50 + 1) * DAY)
        meeting(board_series, starts_in=(i % 13 + 1) * DAY + datetime.timedelta(hours=3))
        ActionItemFactory(raised_at=past, due_on=now().date() - DAY, owner=chair)
        Delivery.objects.create(
            meeting=m, kind="announcement", recipient=f"r{i}@example.org", sequence=0,
            status=Delivery.Status.FAILED,
        )  # fmt: skip
        make_application(JoinApplication.State.CONFIRMED, name=f"Applicant {i}")
        CompanyFactory(name=f"Quiet {i}")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 12])
def test_chair_dashboard_queries_do_not_grow(
    client, chair_in, public_series, board_series, rows, django_assert_max_num_queries
):
    _lots(public_series, board_series, chair_in, rows)
    client.force_login(chair_in)

    with django_assert_max_num_queries(30):
        response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_dashboard_query_count_is_the_same_for_few_and_many_rows(
    client, chair_in, public_series, board_series, django_assert_num_queries
):
    client.force_login(chair_in)
    _lots(public_series, board_series, chair_in, 6)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("portal:dashboard"))
    _lots(public_series, board_series, chair_in, 20, start=6)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_staff_managing_roles_never_see_a_board_meeting_s_title(
    client, staff, with_mfa, board_series
):
    with_mfa(staff)
    meeting(board_series, starts_in=3 * DAY, topic="Board budget")

    response = dashboard(client, staff)

    assert response.context["board_at_risk"] is None
    assert "Board budget" not in response.content.decode()


@pytest.mark.django_db
def test_participant_dashboard_queries(
    client, participant, public_series, board_series, chair, django_assert_max_num_queries
):
    _lots(public_series, board_series, participant, 12)
    client.force_login(participant)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:dashboard"))

    assert response.context["my_action_items"].count == 12
    assert len(response.context["my_action_items"].rows) == 5
