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


@pytest.mark.django_db
def test_seed_demo_staff_login_reaches_the_admin_after_setting_up_mfa(client, capsys, with_mfa):
    call_command("seed_demo")
    out = capsys.readouterr().out
    staff = Person.objects.get(email="staff@example.org")

    logged_in = client.post(
        "/accounts/login/", {"login": "staff@example.org", "password": "lcoo-demo-password"}
    )
    admin_without_mfa = client.get("/admin/")
    with_mfa(staff)
    admin_with_mfa = client.get("/admin/")

    assert "  staff@example.org  — staff, the Django admin at /admin/" in out
    assert (staff.is_staff, staff.is_superuser, staff.profile_public) == (True, True, False)
    assert logged_in.status_code == 302
    assert admin_without_mfa.status_code == 302
    assert admin_without_mfa["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"
    assert admin_with_mfa.status_code == 200
