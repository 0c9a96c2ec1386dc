"""Personal calendar tokens: only their hash is kept (in the database and in cache key
names), a wrong token costs no more than a right one, and a new password kills them."""

import datetime
import re

import pytest
import redis
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.calendar_tokens import revoke_calendar_tokens
from meetings.models import CalendarToken, calendar_token_hash
from tests.factories import PASSWORD, PersonFactory
from tests.meetings.helpers import shown_calendar_tokens

#: The last migration that kept tokens in plain text.
PLAIN_TOKENS = ("meetings", "0006_series_mailing_list_private")
NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)


def feed(client, token: str):
    return client.get(reverse("meetings:private-feed", args=[token]))


def database_text() -> str:
    """Every value of every table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a table name from the database itself)
            rows.extend(cursor.fetchall())
    return "\n".join(repr(row) for row in rows)


@pytest.mark.django_db
def test_database_holds_no_raw_token(client, participant):
    client.force_login(participant)
    [shown] = shown_calendar_tokens(client.get(reverse("meetings:calendar-settings")))
    issued = CalendarToken.issue(PersonFactory())

    text = database_text()

    assert (shown in text, issued in text) == (False, False)
    assert sorted(CalendarToken.objects.values_list("token_hash", flat=True)) == sorted(
        [calendar_token_hash(shown), calendar_token_hash(issued)]
    )
    assert feed(client, shown).status_code == 200


@pytest.mark.django_db
def test_forged_and_revoked_tokens_answer_404_after_one_lookup_by_hash(client, participant):
    other = PersonFactory()
    valid = CalendarToken.issue(participant)
    revoked = CalendarToken.issue(other)
    revoke_calendar_tokens(person=other)
    forged = "forged-" + valid[7:]

    queries = {}
    statuses = {}
    for label, token in [("valid", valid), ("forged", forged), ("revoked", revoked)]:
        with CaptureQueriesContext(connection) as captured:
            statuses[label] = feed(client, token).status_code
        queries[label] = [q["sql"] for q in captured.captured_queries]

    assert statuses == {"valid": 200, "forged": 404, "revoked": 404}
    assert (len(queries["forged"]), len(queries["revoked"])) == (1, 1)
    assert len(queries["valid"]) >= len(queries["forged"])
    for label, token in [("forged", forged), ("revoked", revoked)]:
        [lookup] = queries[label]
        assert calendar_token_hash(token) in lookup
        assert token not in lookup
    assert calendar_token_hash(valid) in queries["valid"][0]


@pytest.mark.django_db
def test_password_reset_kills_the_old_feed_address(client, participant):
    token = CalendarToken.issue(participant)
    assert feed(client, token).status_code == 200

    client.post(reverse("account_reset_password"), {"email": participant.email})
    [link] = re.findall(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    # allauth keeps the key in the session and sends the browser on to its form.
    [(form, _)] = client.get(link, follow=True).redirect_chain
    done = client.post(
        form, {"password1": "a-brand-new-password-1", "password2": "a-brand-new-password-1"}
    )

    assert done.status_code == 302
    assert feed(client, token).status_code == 404
    assert CalendarToken.objects.filter(person=participant).count() == 0


@pytest.mark.django_db
def test_password_change_kills_the_old_feed_address(client, participant):
    token = CalendarToken.issue(participant)
    client.force_login(participant)

    changed = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-password-1",
            "password2": "a-brand-new-password-1",
        },
    )

    assert changed.status_code == 302
    assert feed(client, token).status_code == 404
    [renewed] = shown_calendar_tokens(client.get(reverse("meetings:calendar-settings")))
    assert feed(client, renewed).status_code == 200


@pytest.mark.django_db
def test_cache_keys_name_the_hash_never_the_token(client, participant, shared_redis_cache):
    _, port = shared_redis_cache
    token = CalendarToken.issue(participant)

    first = feed(client, token)
    again = feed(client, token)
    keys = [key.decode() for key in redis.Redis(port=port).keys("*")]

    assert (first.status_code, again.status_code) == (200, 200)
    assert [key for key in keys if token in key] == []
    assert [key for key in keys if calendar_token_hash(token) in key] != []


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(targets: list[tuple[str, str]]):
    """Migrate the test database to `targets`; the historical app registry there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_feed_address_made_before_hashing_keeps_working(client):
    before = [PLAIN_TOKENS if app == "meetings" else (app, name) for app, name in latest()]
    try:
        old = migrate(before)
        person = old.get_model("members.Person").objects.create(
            email="sam@example.org", full_name="Sam Subscriber", password="!", date_joined=NOW
        )
        plain = "pl41n-t0ken-from-before-the-hashing-0123456"
        old.get_model("meetings.CalendarToken").objects.create(person=person, token=plain)

        migrate(latest())

        assert feed(client, plain).status_code == 200
        assert list(CalendarToken.objects.values_list("person_id", "token_hash")) == [
            (person.pk, calendar_token_hash(plain))
        ]
        assert plain not in database_text()
        migrate(before)  # back: a hash cannot be turned back into its token
        assert old.get_model("meetings.CalendarToken").objects.count() == 0
    finally:
        migrate(latest())  # the tests that follow expect the whole schema


@pytest.mark.django_db
def test_a_password_set_in_the_admin_revokes_the_private_calendar_address(
    client, participant, staff, with_mfa
):
    token = CalendarToken.issue(participant)
    with_mfa(staff)
    client.force_login(staff)

    answer = client.post(
        f"/admin/members/person/{participant.pk}/password/",
        {
            "password1": "a-new-password-from-staff-1",
            "password2": "a-new-password-from-staff-1",
            "usable_password": "true",
        },
    )
    client.logout()
    feed = client.get(reverse("meetings:private-feed", args=[token]))

    assert answer.status_code == 302
    assert feed.status_code == 404
