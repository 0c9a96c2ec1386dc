"""Pages and forms: who may do what, clear errors that save nothing, the feed, CSV."""

import csv
import datetime
import io
import xml.etree.ElementTree as ET

import pytest

from agreements.models import ActionItem, Agreement, ForumTopic, Position
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    ForumTopicFactory,
    PositionFactory,
    TopicFactory,
)

from .conftest import meeting

ATOM = "{http://www.w3.org/2005/Atom}"

EDITOR_PAGES = [
    "/agreements/new/",
    "/agreements/an-item/edit/",
    "/agreements/an-item/status/",
    "/agreements/action-items/new/",
    "/agreements/forum-topics/new/",
    "/agreements/forum-topics/a-topic/assign/",
]


@pytest.fixture
def item(db):
    return AgreementFactory(title="An item", slug="an-item")


@pytest.fixture
def topic(db):
    return ForumTopicFactory(title="A topic", slug="a-topic")


# Who may edit


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*EDITOR_PAGES, "/agreements/an-item/position/"])
def test_edit_pages_send_anonymous_visitors_to_log_in(client, item, topic, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["participant", "executive", "staff"])
@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_edit_pages_refuse_people_without_the_right(client, login, item, topic, who, url):
    login(who)

    assert client.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "chair"])
@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_edit_pages_open_to_coordinators_and_chairs(client, login, item, topic, who, url):
    login(who)

    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_position_page_refuses_people_who_speak_for_no_company(client, login, item):
    login("participant")

    assert client.get("/agreements/an-item/position/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "executive"])
def test_position_recorded_by_the_companys_coordinator_or_executive(
    client, login, item, company, who
):
    person = login(who)

    response = client.post(
        "/agreements/an-item/position/",
        {"company": company.pk, "stance": "objects", "comment": "Too early"},
    )

    assert response.status_code == 302
    position = Position.objects.get()
    assert (position.company, position.stance, position.recorded_by) == (company, "objects", person)


@pytest.mark.django_db
def test_position_for_another_company_is_refused(client, login, item, other_company):
    login("coordinator")

    response = client.post(
        "/agreements/an-item/position/", {"company": other_company.pk, "stance": "agrees"}
    )

    assert response.status_code == 400
    assert "company" in response.context["form"].errors
    assert Position.objects.count() == 0


@pytest.mark.django_db
def test_chair_records_any_member_companys_position(client, login, item, other_company):
    login("chair")

    response = client.post(
        "/agreements/an-item/position/", {"company": other_company.pk, "stance": "abstains"}
    )

    assert response.status_code == 302
    assert list(Position.objects.values_list("company__name", "stance")) == [("NTT", "abstains")]


@pytest.mark.django_db
def test_position_on_a_decided_item_is_refused_with_a_message(client, login, gm, company):
    login("coordinator")
    AgreementFactory(
        slug="decided",
        status="agreed",
        decided_at=gm["last"],
        decided_on=gm["last"].starts_at.date(),
    )

    response = client.post(
        "/agreements/decided/position/", {"company": company.pk, "stance": "agrees"}
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Positions are recorded while an item is proposed or in discussion; this one is agreed."
    ]
    assert Position.objects.count() == 0


# Forms: clear errors, nothing saved


@pytest.mark.django_db
def test_create_agreement_saves_and_redirects(client, login, company):
    person = login("coordinator")
    security = TopicFactory(name="Security", slug="security")

    response = client.post(
        "/agreements/new/",
        {
            "title": "Shared patch window",
            "slug": "",
            "summary": "Patch together.",
            "body": "Details.",
            "proposing_company": company.pk,
            "proposed_on": "2026-01-05",
            "topics": [security.pk],
            "new_topics": "Operations",
            "visibility": "members",
        },
    )

    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response.url == "/agreements/shared-patch-window/"
    assert (agreement.status, agreement.visibility, agreement.proposed_by) == (
        "proposed",
        "members",
        person,
    )
    assert sorted(agreement.topics.values_list("name", flat=True)) == ["Operations", "Security"]


@pytest.mark.django_db
def test_create_agreement_with_bad_input_shows_errors_and_saves_nothing(client, login):
    login("coordinator")

    response = client.post(
        "/agreements/new/",
        {"title": "", "summary": "", "proposed_on": "not a date", "visibility": "board"},
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert sorted(errors) == ["proposed_on", "summary", "title", "visibility"]
    assert Agreement.objects.count() == 0


@pytest.mark.django_db
def test_coordinator_cannot_file_an_item_for_the_board(client, login):
    login("coordinator")

    response = client.post(
        "/agreements/new/",
        {"title": "Secret", "summary": "S.", "proposed_on": "2026-01-05", "visibility": "board"},
    )

    assert response.status_code == 400
    assert "visibility" in response.context["form"].errors
    assert Agreement.objects.count() == 0


@pytest.mark.django_db
def test_create_agreement_with_reserved_slug_is_refused(client, login):
    login("coordinator")

    response = client.post(
        "/agreements/new/",
        {
            "title": "T",
            "slug": "forum-topics",
            "summary": "S.",
            "proposed_on": "2026-01-05",
            "visibility": "public",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == [
        "That address names a page of the register; choose another."
    ]


@pytest.mark.django_db
def test_status_change_to_agreed_at_a_held_meeting(client, login, item, gm):
    login("coordinator")

    response = client.post(
        "/agreements/an-item/status/", {"status": "agreed", "meeting": gm["last"].pk}
    )

    item.refresh_from_db()
    assert response.status_code == 302
    assert (item.status, item.decided_at, item.decided_on) == (
        "agreed",
        gm["last"],
        gm["last"].starts_at.date(),
    )


@pytest.mark.django_db
def test_status_change_without_meeting_shows_the_rule_and_saves_nothing(client, login, item):
    login("coordinator")

    response = client.post("/agreements/an-item/status/", {"status": "agreed"})

    item.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors["meeting"] == ["Say at which meeting it was decided."]
    assert item.status == "proposed"


@pytest.mark.django_db
def test_status_form_offers_only_allowed_transitions(client, login, gm):
    login("coordinator")
    AgreementFactory(slug="talked", status="in-discussion")

    response = client.get("/agreements/talked/status/")

    choices = [value for value, _ in response.context["form"].fields["status"].choices]
    assert choices == ["agreed", "declined", "withdrawn"]


@pytest.mark.django_db
def test_status_change_not_allowed_is_refused(client, login):
    login("coordinator")
    AgreementFactory(slug="gone", status="withdrawn")

    response = client.post("/agreements/gone/status/", {"status": "agreed"})

    assert response.status_code == 400
    assert "status" in response.context["form"].errors


@pytest.mark.django_db
def test_action_item_create_from_a_meeting_returns_to_it(client, login, gm, company):
    person = login("coordinator")
    url = f"/agreements/action-items/new/?meeting={gm['last'].pk}&next=/meetings/{gm['last'].pk}/"

    form_page = client.get(url)
    response = client.post(
        url,
        {
            "title": "Write the runbook",
            "owner": person.pk,
            "company": company.pk,
            "raised_at": gm["last"].pk,
            "visibility": "public",
        },
    )

    assert form_page.context["form"].initial["raised_at"] == gm["last"].pk
    assert response.status_code == 302
    assert response.url == f"/meetings/{gm['last'].pk}/"
    assert list(ActionItem.objects.values_list("title", "status")) == [
        ("Write the runbook", "open")
    ]


@pytest.mark.django_db
def test_action_item_create_at_board_meeting_as_public_is_refused(client, login, board_meeting):
    person = login("chair")

    response = client.post(
        "/agreements/action-items/new/",
        {
            "title": "Leak",
            "owner": person.pk,
            "raised_at": board_meeting.pk,
            "visibility": "public",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["visibility"] == [
        "An action item raised at an Executive Board meeting is for the board only."
    ]
    assert ActionItem.objects.count() == 0


@pytest.mark.django_db
def test_action_item_done_then_reopened(client, login, gm):
    login("coordinator")
    item = ActionItemFactory(raised_at=gm["last"])

    client.post(f"/agreements/action-items/{item.pk}/status/", {"status": "done"})
    item.refresh_from_db()
    closed = item.status
    client.post(f"/agreements/action-items/{item.pk}/status/", {"status": "open"})
    item.refresh_from_db()

    assert (closed, item.status) == ("done", "open")


@pytest.mark.django_db
def test_action_item_status_refuses_an_unsafe_next(client, login, gm):
    login("coordinator")
    item = ActionItemFactory(raised_at=gm["last"])

    response = client.post(
        f"/agreements/action-items/{item.pk}/status/",
        {"status": "dropped", "next": "https://evil.example.com/"},
    )

    assert response.url == "/agreements/action-items/"


@pytest.mark.django_db
def test_action_items_list_marks_overdue_items(client, gm):
    ActionItemFactory(title="Late one", raised_at=gm["earlier"], due_on=gm["last"].starts_at.date())
    ActionItemFactory(title="On time", raised_at=gm["earlier"], due_on=gm["later"].starts_at.date())

    content = client.get("/agreements/action-items/").content.decode()

    rows = content.split('<tr id="action-')[1:]
    late = next(row for row in rows if "Late one" in row)
    on_time = next(row for row in rows if "On time" in row)
    assert ('class="is-overdue"' in late, "Overdue" in late) == (True, True)
    assert ('class="is-overdue"' in on_time, "Overdue" in on_time) == (False, False)


# Forum topics through the pages


@pytest.mark.django_db
def test_assign_topic_page_puts_it_on_the_forum_page(
    client, login, gm, forum_series, company, other_company
):
    login("coordinator")
    forum = meeting(forum_series, 10)
    topic = ForumTopicFactory(title="Live migration at scale", slug="live-migration")

    response = client.post(
        "/agreements/forum-topics/live-migration/assign/",
        {
            "forum": forum.pk,
            "general_meeting": gm["last"].pk,
            "presenting_companies": [company.pk, other_company.pk],
        },
    )
    page = client.get(forum.get_absolute_url()).content.decode()

    assert response.status_code == 302
    assert response.url == forum.get_absolute_url()
    topic.refresh_from_db()
    assert topic.status == "scheduled"
    assert "Topical Forum: Live migration at scale" in page
    assert "NTT, Orange" in page


@pytest.mark.django_db
def test_assign_topic_to_a_general_meeting_is_not_offered(client, login, gm, company, topic):
    login("coordinator")

    response = client.post(
        "/agreements/forum-topics/a-topic/assign/",
        {
            "forum": gm["next"].pk,
            "general_meeting": gm["last"].pk,
            "presenting_companies": [company.pk],
        },
    )

    assert response.status_code == 400
    assert "forum" in response.context["form"].errors
    topic.refresh_from_db()
    assert topic.status == "proposed"


@pytest.mark.django_db
def test_interest_recorded_only_for_ones_own_company(client, login, topic, company, other_company):
    login("coordinator")

    own = client.post(
        "/agreements/forum-topics/a-topic/interest/", {"company": "orange", "interested": "1"}
    )
    other = client.post(
        "/agreements/forum-topics/a-topic/interest/", {"company": "ntt", "interested": "1"}
    )

    assert (own.status_code, other.status_code) == (302, 403)
    assert list(topic.interested_companies.all()) == [company]


@pytest.mark.django_db
def test_propose_topic_as_coordinator(client, login, company):
    login("coordinator")

    response = client.post(
        "/agreements/forum-topics/new/",
        {"title": "Cost reporting", "description": "Showback.", "proposed_by_company": company.pk},
    )

    topic = ForumTopic.objects.get()
    assert response.status_code == 302
    assert (topic.slug, topic.status, topic.proposed_by_company) == (
        "cost-reporting",
        "proposed",
        company,
    )


@pytest.mark.django_db
def test_backlog_lists_topics_with_interested_companies(client, company, other_company):
    topic = ForumTopicFactory(title="Bare metal", proposed_by_company=company)
    topic.interested_companies.add(company, other_company)

    content = client.get("/agreements/forum-topics/").content.decode()

    assert "Bare metal" in content
    assert "interested: NTT, Orange" in content


# Public pages


@pytest.mark.django_db
def test_register_announces_the_atom_feed(client):
    content = client.get("/agreements/").content.decode()

    assert (
        '<link rel="alternate" type="application/atom+xml" title="LCOO agreements (Atom)" '
        'href="/agreements/feed.atom">'
    ) in content


@pytest.mark.django_db
def test_atom_feed_parses_with_entries_and_categories(client, gm, company):
    security = TopicFactory(name="Security", slug="security")
    first = AgreementFactory(title="Patch window", proposing_company=company)
    first.topics.add(security)
    AgreementFactory(
        title="Decided rule",
        status="agreed",
        decided_at=gm["last"],
        decided_on=gm["last"].starts_at.date(),
    )
    AgreementFactory(title="Hidden", visibility="members")

    response = client.get("/agreements/feed.atom")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, not untrusted input

    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = sorted(e.findtext(f"{ATOM}title") for e in entries)
    assert titles == ["Decided rule (agreed)", "Patch window (proposed)"]
    patch = next(e for e in entries if e.findtext(f"{ATOM}title") == "Patch window (proposed)")
    assert patch.find(f"{ATOM}category").get("term") == "Security"
    assert patch.findtext(f"{ATOM}author/{ATOM}name") == "Orange"
    assert patch.findtext(f"{ATOM}id") == f"tag:lcoo-portal,2017:agreement:{first.pk}"
    assert patch.find(f"{ATOM}link").get("href") == f"http://testserver/agreements/{first.slug}/"
    assert all(e.findtext(f"{ATOM}updated") for e in entries)


@pytest.mark.django_db
def test_agreement_body_markdown_is_sanitised(client):
    agreement = AgreementFactory(body="**Bold** <script>alert(1)</script> [x](javascript:alert(2))")

    content = client.get(agreement.get_absolute_url()).content.decode()

    assert "<strong>Bold</strong>" in content
    assert "<script>alert(1)" not in content
    assert "javascript:alert" not in content


@pytest.mark.django_db
def test_agreement_page_shows_history_with_who_and_when(client, login, item, gm):
    person = login("coordinator")
    client.post(
        "/agreements/an-item/status/", {"status": "in-discussion", "meeting": gm["last"].pk}
    )

    content = client.get("/agreements/an-item/").content.decode()

    history = content.split('id="history-heading"')[1]
    assert "status: proposed → in discussion" in history
    assert person.full_name in history
    assert '<time datetime="' in history
    assert gm["last"].get_absolute_url() in content  # discussed at


@pytest.mark.django_db
def test_agreement_page_lists_member_companies_without_a_position(client, item, company):
    CompanyFactory(name="Intel", slug="intel")
    PositionFactory(agreement=item, company=company, stance="objects")

    response = client.get(item.get_absolute_url())

    rows = [
        (row["company"].name, row["position"].stance if row["position"] else None)
        for row in response.context["positions"]
    ]
    assert ("Intel", None) in rows
    assert ("Orange", "objects") in rows


@pytest.mark.django_db
def test_register_csv_prefixes_formula_cells(client):
    AgreementFactory(title="=HYPERLINK(1)", slug="formula", summary="+1 and more")

    rows = list(csv.reader(io.StringIO(client.get("/agreements/register.csv").content.decode())))

    assert rows[0][:3] == ["slug", "title", "status"]
    assert (rows[1][1], rows[1][11]) == ("'=HYPERLINK(1)", "'+1 and more")


@pytest.mark.django_db
def test_action_items_csv_prefixes_formula_cells_and_flags_overdue(client, gm):
    ActionItemFactory(title="@SUM(A1)", raised_at=gm["earlier"], due_on=gm["last"].starts_at.date())

    rows = list(
        csv.reader(io.StringIO(client.get("/agreements/action-items.csv").content.decode()))
    )

    assert (rows[1][1], rows[1][6]) == ("'@SUM(A1)", "yes")


@pytest.mark.django_db
def test_participation_page_for_applicants_is_404(client):
    CompanyFactory(name="Newcomer", slug="newcomer", status="applicant", joined_on=None)

    assert client.get("/agreements/companies/newcomer/").status_code == 404


@pytest.mark.django_db
def test_register_filters_by_status_topic_year_and_company(client, gm, company, other_company):
    edge = TopicFactory(name="Edge", slug="edge")
    match = AgreementFactory(
        title="Match",
        proposing_company=company,
        status="agreed",
        decided_at=gm["last"],
        decided_on=gm["last"].starts_at.date(),
    )
    match.topics.add(edge)
    AgreementFactory(title="Other company", proposing_company=other_company)
    year = gm["last"].starts_at.year

    response = client.get(f"/agreements/?status=agreed&topic=edge&year={year}&company=orange")

    assert [a.title for a in response.context["agreements"]] == ["Match"]


@pytest.mark.django_db
def test_register_ignores_unknown_filter_values_with_a_message(client):
    AgreementFactory(title="Still listed")

    response = client.get("/agreements/?topic=nope")

    assert response.status_code == 200
    assert [a.title for a in response.context["agreements"]] == ["Still listed"]
    assert "Some filters were not understood" in response.content.decode()


@pytest.mark.django_db
def test_edit_dating_the_proposal_after_its_decision_is_refused(client, login, gm):
    login("coordinator")
    decided_on = gm["last"].starts_at.date()
    agreement = AgreementFactory(
        slug="decided", status="agreed", decided_at=gm["last"], decided_on=decided_on
    )

    response = client.post(
        "/agreements/decided/edit/",
        {
            "title": "Decided",
            "slug": "decided",
            "summary": "S.",
            "proposed_on": (decided_on + datetime.timedelta(days=1)).isoformat(),
            "visibility": "public",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["proposed_on"] == [
        "A proposal cannot be dated after the decision on it."
    ]
    agreement.refresh_from_db()
    assert agreement.proposed_on == datetime.date(2026, 1, 5)


@pytest.mark.django_db
def test_next_meeting_page_shows_carried_over_items_with_overdue_ones_marked(client, gm):
    ActionItemFactory(
        title="Late report", raised_at=gm["earlier"], due_on=gm["last"].starts_at.date()
    )
    ActionItemFactory(
        title="Closed one", raised_at=gm["earlier"], status="done", closed_at=gm["earlier"].ends_at
    )

    content = client.get(gm["next"].get_absolute_url()).content.decode()

    carried = content.split('id="carried-over-heading"')[1].split("</section>")[0]
    assert "Late report" in carried
    assert '<span class="badge badge-warn">Overdue</span>' in carried
    assert "Closed one" not in content


@pytest.mark.django_db
def test_coordinator_edit_keeps_links_to_board_meetings_it_cannot_see(
    client, login, gm, board_meeting
):
    login("coordinator")
    agreement = AgreementFactory(slug="linked", title="Linked", summary="S.")
    agreement.discussed_at.add(board_meeting, gm["earlier"])

    response = client.post(
        "/agreements/linked/edit/",
        {
            "title": "Linked, renamed",
            "slug": "linked",
            "summary": "S.",
            "proposed_on": "2026-01-05",
            "visibility": "public",
            "discussed_at": [gm["last"].pk],
        },
    )

    assert response.status_code == 302
    assert set(agreement.discussed_at.all()) == {board_meeting, gm["last"]}


@pytest.mark.django_db
def test_edit_form_keeps_what_a_decided_item_supersedes(client, login, gm):
    login("chair")
    earlier = AgreementFactory(
        title="A rule",
        status="agreed",
        decided_at=gm["earlier"],
        decided_on=datetime.date(2026, 1, 6),
    )
    AgreementFactory(
        slug="b-rule",
        title="B rule",
        status="agreed",
        decided_at=gm["last"],
        decided_on=datetime.date(2026, 1, 20),
    )

    page = client.get("/agreements/b-rule/edit/")
    response = client.post(
        "/agreements/b-rule/edit/",
        {
            "title": "B rule",
            "slug": "b-rule",
            "summary": "S.",
            "proposed_on": "2026-01-05",
            "visibility": "public",
            "supersedes": earlier.pk,
        },
    )

    assert page.context["form"].fields["supersedes"].disabled is True
    assert response.status_code == 302
    earlier.refresh_from_db()
    assert (earlier.status, earlier.superseded_by_id_or_none()) == ("agreed", None)
    assert Agreement.objects.get(slug="b-rule").supersedes_id is None


@pytest.mark.django_db
def test_edit_form_lets_an_open_item_choose_what_it_supersedes(client, login, gm, item):
    login("chair")
    earlier = AgreementFactory(
        title="A rule",
        status="agreed",
        decided_at=gm["earlier"],
        decided_on=datetime.date(2026, 1, 6),
    )

    page = client.get("/agreements/an-item/edit/")
    response = client.post(
        "/agreements/an-item/edit/",
        {
            "title": "An item",
            "slug": "an-item",
            "summary": "S.",
            "proposed_on": "2026-01-05",
            "visibility": "public",
            "supersedes": earlier.pk,
        },
    )

    assert page.context["form"].fields["supersedes"].disabled is False
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.supersedes == earlier
