import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from members import services
from members.models import Company, Role
from members.permissions import access_for, compute_access
from tests.factories import CompanyFactory, PersonFactory, RoleFactory

D = datetime.date


@pytest.mark.django_db
def test_grant_role_second_executive_for_same_company_refused(company):
    services.grant_role(person=PersonFactory(), kind=Role.Kind.EXECUTIVE, company=company)

    with pytest.raises(ValidationError) as excinfo:
        services.grant_role(person=PersonFactory(), kind=Role.Kind.EXECUTIVE, company=company)

    assert [error.code for error in excinfo.value.error_dict["__all__"]] == ["executive_overlap"]
    assert Role.objects.filter(company=company, kind=Role.Kind.EXECUTIVE).count() == 1


@pytest.mark.django_db
def test_grant_role_executive_overlapping_a_dated_role_refused(company):
    RoleFactory(
        kind=Role.Kind.EXECUTIVE, company=company, starts_on=D(2024, 1, 1), ends_on=D(2024, 12, 31)
    )

    with pytest.raises(ValidationError):
        services.grant_role(
            person=PersonFactory(),
            kind=Role.Kind.EXECUTIVE,
            company=company,
            starts_on=D(2024, 12, 31),
            ends_on=D(2025, 6, 30),
        )


@pytest.mark.django_db
def test_grant_role_executive_after_previous_ended_allowed(company):
    RoleFactory(
        kind=Role.Kind.EXECUTIVE, company=company, starts_on=D(2024, 1, 1), ends_on=D(2024, 12, 31)
    )

    role = services.grant_role(
        person=PersonFactory(), kind=Role.Kind.EXECUTIVE, company=company, starts_on=D(2025, 1, 1)
    )

    assert role.pk is not None
    assert Role.objects.filter(company=company, kind=Role.Kind.EXECUTIVE).count() == 2


@pytest.mark.django_db
def test_executives_of_different_companies_coexist(company, other_company):
    services.grant_role(person=PersonFactory(), kind=Role.Kind.EXECUTIVE, company=company)
    services.grant_role(person=PersonFactory(), kind=Role.Kind.EXECUTIVE, company=other_company)

    assert Role.objects.active().filter(kind=Role.Kind.EXECUTIVE).count() == 2


@pytest.mark.django_db
def test_database_refuses_two_open_executives_even_without_clean(company):
    RoleFactory(kind=Role.Kind.EXECUTIVE, company=company)

    with pytest.raises(IntegrityError):
        RoleFactory(kind=Role.Kind.EXECUTIVE, company=company)


@pytest.mark.django_db
def test_several_coordinators_per_company_allowed(company):
    for _ in range(3):
        services.grant_role(person=PersonFactory(), kind=Role.Kind.COORDINATOR, company=company)

    assert Role.objects.active().filter(company=company, kind="coordinator").count() == 3


@pytest.mark.django_db
def test_replace_executive_ends_current_and_starts_successor(company):
    old = services.grant_role(
        person=PersonFactory(), kind=Role.Kind.EXECUTIVE, company=company, starts_on=D(2020, 1, 1)
    )
    successor = PersonFactory()

    new = services.replace_executive(company=company, person=successor, starts_on=D(2026, 3, 1))

    old.refresh_from_db()
    assert old.ends_on == D(2026, 2, 28)
    assert new.person == successor
    assert list(
        Role.objects.active(D(2026, 3, 1)).filter(kind="executive").values_list("person", flat=True)
    ) == [successor.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "with_company", "field"),
    [
        ("coordinator", False, "company"),
        ("executive", False, "company"),
        ("chair", True, "company"),
    ],
)
def test_role_company_rules(kind, with_company, field, company):
    with pytest.raises(ValidationError) as excinfo:
        services.grant_role(
            person=PersonFactory(), kind=kind, company=company if with_company else None
        )

    assert field in excinfo.value.message_dict


@pytest.mark.django_db
def test_end_role_makes_it_inactive_today(coordinator, company):
    role = coordinator.roles.get()

    services.end_role(role=role)

    assert not Role.objects.active().filter(pk=role.pk).exists()
    assert compute_access(coordinator).can_coordinate is False


@pytest.mark.django_db
def test_end_role_twice_refused(coordinator):
    role = services.end_role(role=coordinator.roles.get())

    with pytest.raises(ValidationError):
        services.end_role(role=role)


@pytest.mark.django_db
def test_role_active_on_its_first_and_last_day(company):
    role = RoleFactory(company=company, starts_on=D(2025, 1, 1), ends_on=D(2025, 1, 31))

    assert [role.is_active(d) for d in (D(2024, 12, 31), D(2025, 1, 1), D(2025, 1, 31))] == [
        False,
        True,
        True,
    ]
    assert Role.objects.active(D(2025, 2, 1)).count() == 0


# Permissions per role: one row per role, every capability the portal asks about.
CAPABILITIES = [
    "can_coordinate",
    "can_see_board",
    "can_manage_roles",
    "can_see_contact_details",
    "mfa_required",
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", [False, False, False, False, False]),
        ("participant", [False, False, False, False, False]),
        ("coordinator", [True, False, False, True, False]),
        ("executive", [False, True, False, True, False]),
        ("chair", [True, True, True, True, True]),
        ("staff", [False, False, True, True, True]),
    ],
)
def test_access_per_role(who, expected, request):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)

    access = access_for(user)

    assert [getattr(access, name) for name in CAPABILITIES] == expected


@pytest.mark.django_db
def test_coordinator_coordinates_only_own_company(coordinator, company, other_company):
    access = access_for(coordinator)

    assert access.can_coordinate_company(company) is True
    assert access.can_coordinate_company(other_company) is False


@pytest.mark.django_db
def test_chair_coordinates_every_company(chair, company, other_company):
    assert [access_for(chair).can_coordinate_company(c) for c in (company, other_company)] == [
        True,
        True,
    ]


@pytest.mark.django_db
def test_expired_role_grants_nothing(company):
    person = PersonFactory()
    RoleFactory(person=person, kind="chair", company=None, ends_on=D(2021, 1, 1))

    assert compute_access(person).chair is False


@pytest.mark.django_db
def test_incomplete_lists_members_without_coordinator_or_executive(company, other_company):
    complete = CompanyFactory(name="Complete")
    RoleFactory(company=complete, kind="coordinator")
    RoleFactory(company=complete, kind="executive")
    RoleFactory(company=company, kind="coordinator")  # no executive
    RoleFactory(company=other_company, kind="executive")  # no coordinator
    CompanyFactory(name="Applicant Co", status=Company.Status.APPLICANT)

    incomplete = Company.objects.incomplete().with_active_roles()

    assert {c.name: c.missing_roles for c in incomplete} == {
        "NTT": ["coordinator"],
        "Orange": ["executive representative"],
    }
