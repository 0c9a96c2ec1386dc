import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_200_when_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def unreachable_database():
    """Point the default connection at a database that does not exist, then restore it."""
    saved_settings = dict(connection.settings_dict)
    # Set the live connection aside rather than closing it: an in-memory SQLite test
    # database would vanish with it.
    saved_connection, connection.connection = connection.connection, None
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/lcoo.sqlite3"
    else:
        connection.settings_dict["NAME"] = "lcoo_database_that_does_not_exist"
    yield
    connection.settings_dict.clear()
    connection.settings_dict.update(saved_settings)
    connection.connection = saved_connection


@pytest.mark.django_db(transaction=True)
def test_healthz_503_when_database_is_unreachable(client, unreachable_database):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"database unavailable\n"
