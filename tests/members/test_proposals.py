import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lcoo.models import Mail
from members import services
from members.models import Role, RoleProposal, today
from tests.factories import CompanyFactory, PersonFactory, RoleFactory

DAY = datetime.timedelta(days=1)
LIST = reverse("members:role-proposals")


def _decide_url(proposal):
    return reverse("members:role-proposal-decide", args=[proposal.pk])


def _propose(company, coordinator, kind=Role.Kind.COORDINATOR, starts_on=None, name="Nina"):
    person = PersonFactory(full_name=f"{name} Newcomer", company=company)
    return services.propose_role(
        company=company,
        person=person,
        kind=kind,
        starts_on=starts_on or today(),
        note="Knows the tooling",
        proposed_by=coordinator,
    )


@pytest.mark.django_db
def test_propose_role_tells_each_active_chair(company, coordinator, chair):
    second_chair = RoleFactory(kind=Role.Kind.CHAIR, company=None).person
    RoleFactory(kind=Role.Kind.CHAIR, company=None, ends_on=today() - DAY)  # no longer chair

    proposal = _propose(company, coordinator)

    rows = Mail.objects.filter(reason="role-proposed").order_by("recipient")
    assert proposal.status == RoleProposal.Status.PENDING
    assert sorted(row.recipient for row in rows) == sorted([chair.email, second_chair.email])
    assert rows[0].subject == "[LCOO] Proposal: Nina Newcomer as coordinator of Orange"
    assert "Note: Knows the tooling" in rows[0].body


@pytest.mark.django_db
def test_approve_coordinator_proposal_grants_role_and_tells_both(company, coordinator, chair):
    proposal = _propose(company, coordinator)

    role = services.approve_proposal(proposal=proposal, by=chair)

    proposal.refresh_from_db()
    assert (role.person, role.kind, role.company, role.granted_by) == (
        proposal.person,
        Role.Kind.COORDINATOR,
        company,
        chair,
    )
    assert (proposal.status, proposal.decided_by) == (RoleProposal.Status.APPROVED, chair)
    decided = Mail.objects.filter(reason="role-proposal-approved")
    assert sorted(row.recipient for row in decided) == sorted(
        [coordinator.email, proposal.person.email]
    )


@pytest.mark.django_db
def test_approve_executive_proposal_replaces_current_executive(
    company, coordinator, executive, chair
):
    first_day = today() + 7 * DAY
    proposal = _propose(company, coordinator, kind=Role.Kind.EXECUTIVE, starts_on=first_day)

    services.approve_proposal(proposal=proposal, by=chair)

    def executive_on(day):
        return list(
            Role.objects.active(day)
            .filter(company=company, kind=Role.Kind.EXECUTIVE)
            .values_list("person__full_name", flat=True)
        )

    assert executive_on(first_day - DAY) == ["Eve Executive"]
    assert executive_on(first_day) == ["Nina Newcomer"]


@pytest.mark.django_db
def test_proposal_decided_once(company, coordinator, chair):
    proposal = _propose(company, coordinator)
    services.decline_proposal(proposal=proposal, by=chair, note="Not yet")

    with pytest.raises(ValidationError) as excinfo:
        services.approve_proposal(proposal=proposal, by=chair)

    proposal.refresh_from_db()
    assert excinfo.value.code == "already_decided"
    assert proposal.status == RoleProposal.Status.DECLINED
    assert Role.objects.filter(person=proposal.person).count() == 0


@pytest.mark.django_db
def test_decline_needs_a_reason(company, coordinator, chair):
    proposal = _propose(company, coordinator)

    with pytest.raises(ValidationError):
        services.decline_proposal(proposal=proposal, by=chair, note=" ")

    proposal.refresh_from_db()
    assert proposal.status == RoleProposal.Status.PENDING


# The chairs' page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_chair_sees_pending_proposals(client, chair, with_mfa, company, coordinator):
    proposal = _propose(company, coordinator)
    client.force_login(with_mfa(chair))

    response = client.get(LIST)

    assert response.status_code == 200
    assert list(response.context["proposals"]) == [proposal]
    assert _decide_url(proposal) in response.content.decode()


@pytest.mark.django_db
def test_chair_approves_through_the_page_and_replay_changes_nothing(
    client, chair, with_mfa, company, coordinator
):
    proposal = _propose(company, coordinator)
    client.force_login(with_mfa(chair))

    first = client.post(_decide_url(proposal), {"decision": "approve"}, follow=True)
    replay = client.post(_decide_url(proposal), {"decision": "approve"}, follow=True)

    assert [str(m) for m in first.context["messages"]] == [
        "Proposal approved: Nina Newcomer as coordinator of Orange."
    ]
    assert [str(m) for m in replay.context["messages"]] == [
        "This proposal was already approved; it is decided once. Nothing was changed."
    ]
    assert Role.objects.filter(person=proposal.person).count() == 1
    assert Mail.objects.filter(reason="role-proposal-approved").count() == 2


@pytest.mark.django_db
def test_chair_declines_with_reason(client, chair, with_mfa, company, coordinator):
    proposal = _propose(company, coordinator)
    client.force_login(with_mfa(chair))

    response = client.post(_decide_url(proposal), {"decision": "decline", "note": "Too soon"})

    proposal.refresh_from_db()
    assert response.status_code == 302
    assert (proposal.status, proposal.decision_note) == (RoleProposal.Status.DECLINED, "Too soon")
    assert Role.objects.filter(person=proposal.person).count() == 0
    row = Mail.objects.get(reason="role-proposal-declined", recipient=coordinator.email)
    assert "Note: Too soon" in row.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "decline", "note": ""}, "note"),
        ({"decision": "decline", "note": "Too\r\nsoon"}, "note"),
        ({"decision": "maybe"}, "decision"),
    ],
)
def test_decide_bad_input_changes_nothing(
    client, chair, with_mfa, company, coordinator, data, field
):
    proposal = _propose(company, coordinator)
    client.force_login(with_mfa(chair))

    response = client.post(_decide_url(proposal), data)

    proposal.refresh_from_db()
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert proposal.status == RoleProposal.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["participant", "coordinator", "other_coordinator", "executive"])
def test_proposals_page_refused_to_non_chairs(client, request, who, company, coordinator):
    proposal = _propose(company, coordinator)
    client.force_login(request.getfixturevalue(who))

    page = client.get(LIST)
    post = client.post(_decide_url(proposal), {"decision": "approve"})

    proposal.refresh_from_db()
    assert (page.status_code, post.status_code) == (403, 403)
    assert proposal.status == RoleProposal.Status.PENDING


@pytest.mark.django_db
def test_proposals_page_anonymous_and_forged_id(client, chair, with_mfa):
    anonymous = client.get(LIST)
    client.force_login(with_mfa(chair))
    forged = client.post(
        reverse("members:role-proposal-decide", args=[999999]), {"decision": "approve"}
    )

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert forged.status_code == 404


@pytest.mark.django_db
def test_proposals_page_queries_do_not_grow(client, chair, with_mfa):
    client.force_login(with_mfa(chair))

    def grow(n):
        for _ in range(n):
            company = CompanyFactory()
            coordinator = RoleFactory(company=company).person
            chair_decides = _propose(company, coordinator, name=f"P{company.pk}")
            services.decline_proposal(proposal=chair_decides, by=chair, note="No")
            _propose(company, coordinator, name=f"Q{company.pk}")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    small = count()
    grow(10)
    large = count()

    assert large == small


@pytest.mark.django_db
def test_proposals_page_queries_pinned(
    client, chair, with_mfa, company, coordinator, django_assert_max_num_queries
):
    client.force_login(with_mfa(chair))
    for n in range(3):
        _propose(company, coordinator, name=f"P{n}")

    # session, user, the user's roles, MFA, pending proposals, decided proposals
    with django_assert_max_num_queries(6):
        assert client.get(LIST).status_code == 200


@pytest.mark.django_db
def test_proposing_someone_already_in_the_role_refused(company, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        services.propose_role(
            company=company, person=coordinator, kind=Role.Kind.COORDINATOR, starts_on=today()
        )

    assert excinfo.value.code == "already_holds"
    assert RoleProposal.objects.count() == 0


@pytest.mark.django_db
def test_approving_a_coordinator_who_became_one_meanwhile_refused(company, coordinator, chair):
    proposal = _propose(company, coordinator)
    services.grant_role(person=proposal.person, kind=Role.Kind.COORDINATOR, company=company)

    with pytest.raises(ValidationError) as excinfo:
        services.approve_proposal(proposal=proposal, by=chair)

    proposal.refresh_from_db()
    assert excinfo.value.code == "already_holds"
    assert proposal.status == RoleProposal.Status.PENDING
    assert Role.objects.filter(person=proposal.person).count() == 1


@pytest.mark.django_db
def test_pending_proposals_declined_when_the_company_leaves(company, coordinator, chair):
    proposal = _propose(company, coordinator)

    services.mark_company_former(company=company, left_on=today(), reason="Merged", by=chair)

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note, proposal.decided_by) == (
        RoleProposal.Status.DECLINED,
        "Orange left the group.",
        chair,
    )
    assert Mail.objects.filter(reason="role-proposal-declined").count() == 2


@pytest.mark.django_db
def test_approving_for_a_company_marked_former_in_the_admin_refused(company, coordinator, chair):
    proposal = _propose(company, coordinator)
    company.status, company.left_on = "former", today()
    company.save()

    with pytest.raises(ValidationError) as excinfo:
        services.approve_proposal(proposal=proposal, by=chair)

    proposal.refresh_from_db()
    assert excinfo.value.code == "former_company"
    assert proposal.status == RoleProposal.Status.PENDING
