"""Members-only and board items, for every role, everywhere they could show: their page,
the register, search, CSV, counts, the feed, meeting pages, participation pages."""

import pytest
from django.urls import reverse

from tests.factories import ActionItemFactory, AgreementFactory

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
