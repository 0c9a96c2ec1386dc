import datetime

import pytest
from django.urls import reverse

from members.models import Role, today
from tests.factories import CompanyFactory, PersonFactory, RoleFactory


@pytest.mark.django_db
def test_dashboard_flags_incomplete_member_company(client, coordinator, company):
    client.force_login(coordinator)  # the company has a coordinator but no executive
    CompanyFactory(name="Lonely Co")

    response = client.get(reverse("portal:dashboard"))

    body = response.content.decode()
    assert response.status_code == 200
    assert [c.name for c in response.context["incomplete_companies"]] == ["Lonely Co", "Orange"]
    assert "no executive representative" in body
    assert "no coordinator" in body


@pytest.mark.django_db
def test_dashboard_asks_anonymous_to_log_in_and_spares_participants_the_group_s_work(
    client, participant
):
    anonymous = client.get(reverse("portal:dashboard"))
    client.force_login(participant)
    logged_in = client.get(reverse("portal:dashboard"))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert logged_in.status_code == 200
    assert "incomplete_companies" not in logged_in.context
    assert "For the coordinators" not in logged_in.content.decode()


@pytest.mark.django_db
def test_chair_grants_executive_through_roles_page(client, chair, with_mfa, company):
    client.force_login(with_mfa(chair))
    person = PersonFactory()

    response = client.post(
        reverse("members:roles"),
        {
            "person": person.pk,
            "kind": "executive",
            "company": company.pk,
            "starts_on": "2026-01-01",
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(person=person)
    assert (role.kind, role.company, role.granted_by) == ("executive", company, chair)


@pytest.mark.django_db
def test_roles_page_refuses_second_executive_with_message(client, chair, with_mfa, executive):
    client.force_login(with_mfa(chair))
    company = executive.roles.get().company

    response = client.post(
        reverse("members:roles"),
        {
            "person": PersonFactory().pk,
            "kind": "executive",
            "company": company.pk,
            "starts_on": "2026-01-01",
        },
    )

    assert response.status_code == 400
    assert "already has an executive representative" in response.content.decode()
    assert Role.objects.filter(kind="executive").count() == 1


@pytest.mark.django_db
def test_coordinator_cannot_grant_or_end_roles(client, coordinator, executive):
    client.force_login(coordinator)
    role = executive.roles.get()

    grant = client.post(reverse("members:roles"), {"person": coordinator.pk, "kind": "chair"})
    end = client.post(reverse("members:role-end", args=[role.pk]))

    assert (grant.status_code, end.status_code) == (403, 403)
    assert Role.objects.get(pk=role.pk).ends_on is None
    assert not Role.objects.filter(person=coordinator, kind="chair").exists()


@pytest.mark.django_db
def test_chair_ends_role(client, chair, with_mfa, coordinator):
    client.force_login(with_mfa(chair))
    role = coordinator.roles.get()

    response = client.post(reverse("members:role-end", args=[role.pk]))

    role.refresh_from_db()
    assert response.status_code == 302
    assert role.ends_on == today() - datetime.timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["chair", "staff"])
def test_chair_and_staff_without_mfa_are_sent_to_set_it_up(client, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("members:company-list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


@pytest.mark.django_db
def test_coordinator_without_mfa_is_not_redirected(client, coordinator):
    client.force_login(coordinator)

    assert client.get(reverse("members:company-list")).status_code == 200


@pytest.mark.django_db
def test_profile_update_saves_zone_and_visibility(client, participant):
    client.force_login(participant)

    response = client.post(
        reverse("members:profile"),
        {"full_name": "Pat P.", "time_zone": "Asia/Tokyo", "profile_public": ""},
    )

    participant.refresh_from_db()
    assert response.status_code == 302
    assert (participant.full_name, participant.time_zone, participant.profile_public) == (
        "Pat P.",
        "Asia/Tokyo",
        False,
    )


@pytest.mark.django_db
def test_profile_rejects_unknown_zone_and_keeps_input(client, participant):
    client.force_login(participant)

    response = client.post(
        reverse("members:profile"), {"full_name": "New Name", "time_zone": "Mars/Olympus"}
    )

    participant.refresh_from_db()
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert 'value="New Name"' in response.content.decode()
    assert participant.full_name == "Pat Participant"


@pytest.mark.django_db
def test_page_names_the_zone_it_shows(client):
    default = client.get(reverse("portal:home")).content.decode()
    client.cookies["lcoo_browser_tz"] = "Asia/Tokyo"
    browser = client.get(reverse("portal:home")).content.decode()

    assert "shown in <strong>UTC</strong>" in default
    assert "shown in <strong>Asia/Tokyo</strong>" in browser
    assert "your browser's zone" in browser


@pytest.mark.django_db
def test_profile_zone_beats_browser_and_choice_beats_profile(client, participant):
    participant.time_zone = "America/New_York"
    participant.save()
    client.force_login(participant)
    client.cookies["lcoo_browser_tz"] = "Asia/Tokyo"
    from_profile = client.get(reverse("portal:home")).context["viewer_tz_name"]

    client.get(reverse("members:switch-timezone"), {"tz": "Australia/Sydney", "next": "/"})
    chosen = client.get(reverse("portal:home")).context["viewer_tz_name"]

    assert (from_profile, chosen) == ("America/New_York", "Australia/Sydney")


@pytest.mark.django_db
def test_switch_timezone_rejects_unknown_zone_and_foreign_redirect(client):
    response = client.get(
        reverse("members:switch-timezone"), {"tz": "Nowhere/City", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert "lcoo_tz" not in response.cookies


@pytest.mark.django_db
def test_member_dates_are_in_time_elements(client, company):
    body = client.get(reverse("members:company-list")).content.decode()

    assert '<time datetime="2017-01-01T00:00:00Z">1 Jan 2017</time>' in body


@pytest.mark.django_db
def test_applicant_company_page_is_not_public(client):
    applicant = CompanyFactory(name="Hopeful", status="applicant", joined_on=None)

    assert client.get(applicant.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_former_member_listed_separately(client):
    CompanyFactory(name="Gone Co", status="former", left_on=datetime.date(2019, 5, 1))
    RoleFactory(company=CompanyFactory(name="Still Here"))

    response = client.get(reverse("members:company-list"))

    assert [c.name for c in response.context["companies"]] == ["Still Here"]
    assert [c.name for c in response.context["former_companies"]] == ["Gone Co"]
