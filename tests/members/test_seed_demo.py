import pytest
from django.core.management import call_command

from members.models import Company, Person, Role, SubTeam, ToolLink

WIKI_COMPANIES = ["AT&T", "Intel", "NTT", "Orange", "Reliance Jio", "SK Telecom"]


def table_sizes() -> dict[str, int]:
    return {
        "companies": Company.objects.count(),
        "people": Person.objects.count(),
        "roles": Role.objects.count(),
        "sub_teams": SubTeam.objects.count(),
        "tools": ToolLink.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_loads_the_six_members_complete(capsys):
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert list(Company.objects.members().values_list("name", flat=True)) == WIKI_COMPANIES
    assert Company.objects.incomplete().count() == 0
    assert Role.objects.active().filter(kind="chair").count() == 2
    assert "coord.orange@example.org" in out
    assert all(
        email.endswith("@example.org") for email in Person.objects.values_list("email", flat=True)
    )


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    first = table_sizes()

    call_command("seed_demo")

    assert table_sizes() == first


@pytest.mark.django_db
def test_seed_demo_logins_work(client):
    call_command("seed_demo")

    response = client.post(
        "/accounts/login/",
        {"login": "coord.orange@example.org", "password": "lcoo-demo-password"},
    )

    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
