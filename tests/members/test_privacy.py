import re

import pytest
from django.urls import reverse

from members.models import Role
from tests.factories import PersonFactory, RoleFactory, SubTeamMembershipFactory

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def populated(company):
    public = PersonFactory(full_name="Paula Public", profile_public=True, company=company)
    hidden = PersonFactory(full_name="Henry Hidden", profile_public=False, company=company)
    RoleFactory(person=public, company=company, kind=Role.Kind.COORDINATOR)
    RoleFactory(person=hidden, company=company, kind=Role.Kind.EXECUTIVE)
    membership = SubTeamMembershipFactory(person=hidden, sub_team__lead=hidden)
    return {"public": public, "hidden": hidden, "sub_team": membership.sub_team}


def anonymous_pages(populated, company):
    return [
        reverse("members:home"),
        reverse("members:company-list"),
        reverse("members:company-detail", args=[company.slug]),
        reverse("members:subteam-list"),
        reverse("members:subteam-detail", args=[populated["sub_team"].slug]),
        reverse("members:tool-list"),
        reverse("members:person-detail", args=[populated["public"].pk]),
    ]


@pytest.mark.django_db
def test_anonymous_pages_show_no_email_and_no_private_profile(client, populated, company):
    for url in anonymous_pages(populated, company):
        response = client.get(url)
        body = response.content.decode()

        assert response.status_code == 200, url
        assert EMAIL.findall(body) == [], url
        assert "Henry Hidden" not in body, url


@pytest.mark.django_db
def test_public_profile_name_shown_to_anonymous(client, populated, company):
    body = client.get(reverse("members:company-list")).content.decode()

    assert "Paula Public" in body
    assert "a person whose profile is private" in body


@pytest.mark.django_db
def test_private_profile_page_is_404_for_anonymous_and_participant(client, populated, participant):
    url = reverse("members:person-detail", args=[populated["hidden"].pk])

    anonymous_status = client.get(url).status_code
    client.force_login(participant)
    participant_status = client.get(url).status_code

    assert (anonymous_status, participant_status) == (404, 404)


@pytest.mark.django_db
def test_role_holder_sees_names_and_email_addresses(client, populated, coordinator):
    client.force_login(coordinator)

    body = client.get(reverse("members:company-list")).content.decode()

    assert "Henry Hidden" in body
    assert populated["hidden"].email in body


@pytest.mark.django_db
def test_participant_without_role_sees_no_email_addresses(client, populated, participant):
    client.force_login(participant)

    body = client.get(reverse("members:company-list")).content.decode()

    assert populated["public"].email not in body
    assert "Henry Hidden" not in body
