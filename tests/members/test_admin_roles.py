"""The executive rule holds in the admin too, for rows added together in one form."""

import pytest
from django.urls import reverse

from members.models import Role
from tests.factories import PersonFactory


def _company_form(company, roles: list[dict]) -> dict:
    data = {
        "name": company.name,
        "slug": company.slug,
        "website": "",
        "hq_timezone": company.hq_timezone,
        "status": "member",
        "joined_on": "2020-01-01",
        "left_on": "",
        "description": "",
        "roles-TOTAL_FORMS": str(len(roles)),
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    for n, role in enumerate(roles):
        for field, value in role.items():
            data[f"roles-{n}-{field}"] = value
    return data


def executive(person, starts_on: str, ends_on: str) -> dict:
    return {"person": person.pk, "kind": "executive", "starts_on": starts_on, "ends_on": ends_on}


@pytest.mark.django_db
def test_two_overlapping_executives_added_together_are_refused(client, company, staff, with_mfa):
    client.force_login(with_mfa(staff))
    first, second = PersonFactory(company=company), PersonFactory(company=company)
    rows = [
        executive(first, "2026-01-01", "2026-06-30"),
        executive(second, "2026-06-01", "2026-12-31"),
    ]

    response = client.post(
        reverse("admin:members_company_change", args=[company.pk]), _company_form(company, rows)
    )

    assert response.status_code == 200
    assert "Two executive representatives of one company overlap" in response.content.decode()
    assert Role.objects.filter(company=company).count() == 0


@pytest.mark.django_db
def test_successive_executives_added_together_are_saved(client, company, staff, with_mfa):
    client.force_login(with_mfa(staff))
    first, second = PersonFactory(company=company), PersonFactory(company=company)
    rows = [executive(first, "2026-01-01", "2026-05-31"), executive(second, "2026-06-01", "")]

    response = client.post(
        reverse("admin:members_company_change", args=[company.pk]), _company_form(company, rows)
    )

    assert response.status_code == 302
    assert Role.objects.filter(company=company, kind="executive").count() == 2
