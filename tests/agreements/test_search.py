"""Search relevance: a term in the title ranks above the same term in the body.

PostgreSQL runs full-text search (stemming, weights title A, summary B, body C); other
databases run the substring fallback. The PostgreSQL tests skip elsewhere, except in CI
(environment variable CI set), where the suite must run on PostgreSQL and a skip would
hide a lost test, so there they fail instead.
"""

import os

import pytest
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection

from agreements.models import Agreement
from agreements.querysets import SEARCH_CONFIG, search_vector
from tests.factories import AgreementFactory


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        reason = f"PostgreSQL full-text search; this run uses {connection.vendor}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI must run the search tests on PostgreSQL.")
        pytest.skip(reason)


@pytest.fixture
def corpus(db):
    """The same word in the body, the summary and the title of three items, created in
    the order that would win if ranking did nothing."""
    return [
        AgreementFactory(
            title="Shared runbooks",
            summary="Runbooks for operators.",
            body="Covers the hypervisor upgrade in detail.",
        ),
        AgreementFactory(
            title="Patch windows",
            summary="A common window to upgrade hosts.",
            body="Details follow.",
        ),
        AgreementFactory(
            title="Upgrade without downtime",
            summary="A plan for all clouds.",
            body="Details follow.",
        ),
        AgreementFactory(title="Unrelated", summary="Telemetry.", body="Metrics only."),
    ]


def titles(agreements) -> list[str]:
    return [a.title for a in agreements]


@pytest.mark.django_db
def test_search_title_match_ranks_above_body_match_on_postgresql(corpus):
    require_postgresql()

    found = Agreement.objects.search("upgrade")

    assert titles(found) == ["Upgrade without downtime", "Patch windows", "Shared runbooks"]
    ranks = [a.rank for a in found]
    assert ranks[0] > ranks[1] > ranks[2] > 0


@pytest.mark.django_db
def test_search_stems_words_on_postgresql(corpus):
    require_postgresql()

    AgreementFactory(title="Upgrading Nova", summary="Live.", body="")

    found = titles(Agreement.objects.search("upgrades"))

    assert set(found[:2]) == {"Upgrade without downtime", "Upgrading Nova"}
    assert "Unrelated" not in found


@pytest.mark.django_db
def test_search_understands_quoted_phrases_and_exclusions_on_postgresql(corpus):
    require_postgresql()

    found = titles(Agreement.objects.search('upgrade -"patch windows"'))

    assert sorted(found) == ["Shared runbooks", "Upgrade without downtime"]


@pytest.mark.django_db
def test_search_title_match_ranks_above_body_match_on_any_database(corpus):
    found = titles(Agreement.objects.search("upgrade"))

    assert found == ["Upgrade without downtime", "Patch windows", "Shared runbooks"]


@pytest.mark.django_db
def test_search_needs_every_word(corpus):
    found = titles(Agreement.objects.search("upgrade hypervisor"))

    assert found == ["Shared runbooks"]


@pytest.mark.django_db
def test_search_of_blank_text_changes_nothing(corpus):
    assert Agreement.objects.search("   ").count() == 4


@pytest.mark.django_db
def test_register_page_shows_best_matches_first(client, corpus):
    response = client.get("/agreements/?q=upgrade")

    assert titles(response.context["agreements"]) == [
        "Upgrade without downtime",
        "Patch windows",
        "Shared runbooks",
    ]
    assert "3 items, best matches first." in response.content.decode()


@pytest.mark.django_db
def test_search_with_odd_characters_does_not_fail(client, corpus):
    response = client.get("/agreements/", {"q": "upgrade & | ! ( ' \" :*"})

    assert response.status_code == 200


@pytest.mark.django_db
def test_search_can_use_the_gin_index_on_postgresql(corpus):
    require_postgresql()
    matches = Agreement.objects.search("upgrade").values("pk")

    with connection.cursor() as cursor:
        # With a handful of rows the planner rightly prefers a scan; forbid it to see that
        # the index answers the query's match at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = matches.explain()

    assert "agreement_search_document_gin" in plan
    # Ranking reads the stored document: no title, summary or body is parsed again.
    assert "to_tsvector" not in plan


@pytest.mark.django_db
def test_stored_search_document_equals_the_search_vector(corpus):
    require_postgresql()
    corpus[0].body = "Now about telemetry."
    corpus[0].save()
    Agreement.objects.filter(pk=corpus[1].pk).update(title="Renamed by a bulk update")
    AgreementFactory(title="Made after", summary="Upgrade notes.", body="")

    rows = Agreement.objects.annotate(expected=search_vector()).values_list(
        "title", "search_document", "expected"
    )

    assert [(title, stored == expected) for title, stored, expected in rows] == [
        (title, True) for title, _, _ in rows
    ]
    assert all(stored for _, stored, _ in rows)
    # In the summary (B) above in the body (C).
    assert titles(Agreement.objects.search("telemetry")) == ["Unrelated", "Shared runbooks"]


@pytest.mark.django_db
def test_search_ranks_as_the_expression_did_on_postgresql(corpus):
    require_postgresql()
    query = SearchQuery("upgrade hosts", search_type="websearch", config=SEARCH_CONFIG)
    by_expression = (
        Agreement.objects.annotate(document=search_vector())
        .filter(document=query)
        .annotate(rank=SearchRank(search_vector(), query))
        .values_list("title", "rank")
    )

    assert sorted(Agreement.objects.search("upgrade hosts").values_list("title", "rank")) == (
        sorted(by_expression)
    )
