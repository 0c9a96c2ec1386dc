"""Members-only and board items, for every role, everywhere they could show: their page,
the register, search, CSV, counts, the feed, meeting pages, participation pages."""

import pytest
from django.urls import reverse

from agreements import services
from tests.factories import ActionItemFactory, AgreementFactory, PositionFactory, TopicFactory

from .conftest import ROLES

# Which visibility levels each role sees.
SEES = {
    "anonymous": {"public"},
    "participant": {"public"},
    "coordinator": {"public", "members"},
    "executive": {"public", "members", "board"},
    "chair": {"public", "members", "board"},
    "staff": {"public", "members"},
}


@pytest.fixture
def register(gm, company):
    """One agreement per visibility level, decided at the last General Meeting."""
    return {
        level: AgreementFactory(
            title=f"Zeppelin {level} agreement",
            slug=f"zeppelin-{level}",
            summary=f"Zeppelin summary ({level}).",
            visibility=level,
            proposing_company=company,
            status="agreed",
            decided_at=gm["last"],
            decided_on=gm["last"].starts_at.date(),
        )
        for level in ("public", "members", "board")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_agreement_pages_answer_404_to_those_who_may_not_see(client, login, register, who):
    login(who)

    statuses = {
        level: client.get(item.get_absolute_url()).status_code for level, item in register.items()
    }

    assert statuses == {
        level: 200 if level in SEES[who] else 404 for level in ("public", "members", "board")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    "url",
    [
        "/agreements/",
        "/agreements/?q=zeppelin",
        "/agreements/?status=agreed",
        "/agreements/register.csv",
        "/agreements/companies/orange/",
    ],
)
def test_register_lists_only_what_the_viewer_may_see(client, login, register, who, url):
    login(who)

    content = client.get(url).content.decode()

    shown = {level for level in ("public", "members", "board") if f"zeppelin-{level}" in content}
    assert shown == SEES[who]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_register_counts_only_what_the_viewer_may_see(client, login, register, who):
    login(who)

    response = client.get("/agreements/")

    assert response.context["paginator"].count == len(SEES[who])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_feed_has_public_items_only_whoever_asks(client, login, register, who):
    login(who)

    content = client.get("/agreements/feed.atom").content.decode()

    assert ("zeppelin-public" in content, "Zeppelin members" in content) == (True, False)
    assert "Zeppelin board" not in content


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_meeting_page_lists_only_visible_agreements_and_action_items(
    client, login, register, gm, who
):
    for level in ("public", "members", "board"):
        ActionItemFactory(title=f"Quokka {level} action", raised_at=gm["last"], visibility=level)
        ActionItemFactory(title=f"Wombat {level} carried", raised_at=gm["last"], visibility=level)
    login(who)

    last = client.get(gm["last"].get_absolute_url()).content.decode()
    upcoming = client.get(gm["next"].get_absolute_url()).content.decode()

    levels = ("public", "members", "board")
    assert {lv for lv in levels if f"Zeppelin {lv} agreement" in last} == SEES[who]
    assert {lv for lv in levels if f"Quokka {lv} action" in last} == SEES[who]
    assert {lv for lv in levels if f"Wombat {lv} carried" in upcoming} == SEES[who]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_board_meeting_action_items_only_for_the_board(client, login, board_meeting, who):
    ActionItemFactory(title="Board decision to follow", raised_at=board_meeting, visibility="board")
    login(who)

    listing = client.get("/agreements/action-items/").content.decode()
    csv_rows = client.get("/agreements/action-items.csv").content.decode()

    sees_board = "board" in SEES[who]
    assert ("Board decision to follow" in listing, "Board decision to follow" in csv_rows) == (
        sees_board,
        sees_board,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_superseding_item_hidden_from_those_who_may_not_see_it(client, login, gm, who):
    old = AgreementFactory(
        title="Old public rule",
        status="superseded",
        decided_at=gm["earlier"],
        decided_on=gm["earlier"].starts_at.date(),
    )
    AgreementFactory(
        title="Secret replacement",
        supersedes=old,
        visibility="board",
        status="agreed",
        decided_at=gm["last"],
        decided_on=gm["last"].starts_at.date(),
    )
    login(who)

    content = client.get(old.get_absolute_url()).content.decode()

    assert ("Secret replacement" in content) == ("board" in SEES[who])


@pytest.mark.django_db
def test_board_meeting_link_not_shown_on_a_public_agreement(client, board_meeting):
    agreement = AgreementFactory(
        status="agreed", decided_at=board_meeting, decided_on=board_meeting.starts_at.date()
    )

    content = client.get(agreement.get_absolute_url()).content.decode()

    assert board_meeting.get_absolute_url() not in content
    assert reverse("agreements:detail", args=[agreement.slug]) == agreement.get_absolute_url()


LEVELS = ("public", "members", "board")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_action_item_list_and_csv_show_only_visible_levels(client, login, gm, who):
    for level in LEVELS:
        ActionItemFactory(title=f"Numbat {level} chore", raised_at=gm["last"], visibility=level)
    login(who)

    listing = client.get("/agreements/action-items/").content.decode()
    csv_rows = client.get("/agreements/action-items.csv").content.decode()

    assert {lv for lv in LEVELS if f"Numbat {lv} chore" in listing} == SEES[who]
    assert {lv for lv in LEVELS if f"Numbat {lv} chore" in csv_rows} == SEES[who]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_participation_page_shows_only_visible_positions_and_action_items(
    client, login, register, gm, company, who
):
    for level, agreement in register.items():
        PositionFactory(agreement=agreement, company=company, comment=f"Dingo {level} comment")
        ActionItemFactory(
            title=f"Dingo {level} chore", raised_at=gm["last"], company=company, visibility=level
        )
    login(who)

    content = client.get(f"/agreements/companies/{company.slug}/").content.decode()

    assert {lv for lv in LEVELS if f"Dingo {lv} comment" in content} == SEES[who]
    assert {lv for lv in LEVELS if f"Dingo {lv} chore" in content} == SEES[who]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_agreement_page_shows_only_visible_action_items(client, login, register, gm, who):
    for level in LEVELS:
        ActionItemFactory(
            title=f"Bilby {level} chore",
            raised_at=gm["last"],
            agreement=register["public"],
            visibility=level,
        )
    login(who)

    content = client.get(register["public"].get_absolute_url()).content.decode()

    assert {lv for lv in LEVELS if f"Bilby {lv} chore" in content} == SEES[who]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "shown"), [("anonymous", False), ("chair", True)])
def test_history_of_a_superseded_item_names_a_board_successor_only_to_the_board(
    client, login, chair, gm, who, shown
):
    old = AgreementFactory(
        title="Old public rule",
        status="agreed",
        decided_at=gm["earlier"],
        decided_on=gm["earlier"].starts_at.date(),
    )
    new = AgreementFactory(title="Secret board successor", supersedes=old, visibility="board")
    services.change_agreement_status(
        agreement=new, status="agreed", actor=chair, meeting=gm["last"]
    )
    login(who)

    content = client.get(old.get_absolute_url()).content.decode()

    history = content.split('id="history-heading"')[1]
    link = f'by <a href="{new.get_absolute_url()}">Secret board successor</a>'
    assert ("Secret board successor" in content, link in history) == (shown, shown)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "topics"), [("anonymous", ["Upgrades"]), ("chair", ["Confidential merger", "Upgrades"])]
)
def test_register_topic_filter_offers_only_topics_of_visible_items(client, login, who, topics):
    AgreementFactory(visibility="board").topics.add(TopicFactory(name="Confidential merger"))
    AgreementFactory(visibility="public").topics.add(TopicFactory(name="Upgrades"))
    TopicFactory(name="Unused")
    login(who)

    response = client.get("/agreements/")

    offered = [t.name for t in response.context["filter_form"].fields["topic"].queryset]
    assert offered == topics
    assert ("Confidential merger" in response.content.decode()) == (who == "chair")


@pytest.mark.django_db
def test_tightened_agreement_takes_its_action_items_out_of_public_lists(client, login, gm):
    agreement = AgreementFactory(title="Soon secret", slug="soon-secret", summary="S.")
    ActionItemFactory(title="Follow-up of soon secret", raised_at=gm["last"], agreement=agreement)
    login("chair")

    response = client.post(
        "/agreements/soon-secret/edit/",
        {
            "title": "Soon secret",
            "slug": "soon-secret",
            "summary": "S.",
            "proposed_on": "2026-01-05",
            "visibility": "board",
        },
        follow=True,
    )
    client.logout()
    listing = client.get("/agreements/action-items/").content.decode()
    csv_rows = client.get("/agreements/action-items.csv").content.decode()

    assert [str(m) for m in response.context["messages"]] == [
        "Saved in the register.",
        "Its action items are now restricted like the item, to “Executive Board”: "
        "“Follow-up of soon secret”.",
    ]
    assert ("Follow-up of soon secret" in listing, "Follow-up of soon secret" in csv_rows) == (
        False,
        False,
    )
