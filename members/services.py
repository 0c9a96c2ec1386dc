"""Workflows on people and roles. Views, admin and commands call these."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.text import slugify

from lcoo.context_processors import subject_prefix
from lcoo.outbox import queue_message

from .models import Company, Person, Role, RoleProposal, SubTeam, SubTeamMembership, today
from .permissions import forget_access

DAY = datetime.timedelta(days=1)


def group_name() -> str:
    return settings.GROUP_NAME


def _tell(person: Person, *, subject: str, body: str, reason: str) -> None:
    """One plain-text mail to one person, through the outbox (sent after the commit)."""
    message = EmailMessage(subject=subject_prefix() + subject, body=body, to=[person.email])
    queue_message(message, reason=reason, person=person)


@transaction.atomic
def grant_role(
    *,
    person: Person,
    kind: str,
    company: Company | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    granted_by: Person | None = None,
    note: str = "",
) -> Role:
    """Give `person` a role. Raises ValidationError when the group's rules forbid it.

    The company row is locked first so that two chairs naming two executives for the
    same company at the same moment cannot both succeed.
    """
    if company is not None:
        locked = Company.objects.select_for_update().get(pk=company.pk)
        if locked.status == Company.Status.FORMER:
            raise ValidationError(
                f"{locked.name} is a former member: its people hold no roles for it.",
                code="former_company",
            )
    role = Role(
        person=person,
        kind=kind,
        company=company,
        starts_on=starts_on or today(),
        ends_on=ends_on,
        granted_by=granted_by,
        note=note,
    )
    role.full_clean()
    role.save()
    forget_access(person)
    return role


@transaction.atomic
def end_role(*, role: Role, last_day: datetime.date | None = None) -> Role:
    """End a role on `last_day` (default: yesterday, so it is inactive from today)."""
    last_day = last_day or today() - datetime.timedelta(days=1)
    if last_day < role.starts_on:
        # A role that never started is withdrawn rather than given an impossible range.
        role.delete()
        forget_access(role.person)
        return role
    if role.ends_on is not None and role.ends_on <= last_day:
        raise ValidationError("This role has already ended.")
    role.ends_on = last_day
    role.full_clean()
    role.save(update_fields=["ends_on"])
    forget_access(role.person)
    return role


@transaction.atomic
def replace_executive(
    *,
    company: Company,
    person: Person,
    starts_on: datetime.date | None = None,
    granted_by: Person | None = None,
) -> Role:
    """Hand the company's executive seat to `person`, ending the current holder's role."""
    starts_on = starts_on or today()
    Company.objects.select_for_update().get(pk=company.pk)
    current = Role.objects.filter(company=company, kind=Role.Kind.EXECUTIVE).overlapping(
        starts_on, None
    )
    for role in current:
        end_role(role=role, last_day=starts_on - datetime.timedelta(days=1))
    return grant_role(
        person=person,
        kind=Role.Kind.EXECUTIVE,
        company=company,
        starts_on=starts_on,
        granted_by=granted_by,
    )


def _role_kind_label(kind: str) -> str:
    return Role.Kind(kind).label.lower()


def check_last_day(*, company: Company, left_on: datetime.date) -> None:
    """Refuse a last day before a role someone already began serving for the company:
    ending that role would erase days they served, and the history must stay."""
    served = (
        Role.objects.filter(company=company, starts_on__gt=left_on, starts_on__lte=today())
        .select_related("person")
        .order_by("starts_on")
        .first()
    )
    if served is not None:
        raise ValidationError(
            {
                "left_on": f"{served.person} has been {served.get_kind_display().lower()} "
                f"since {served.starts_on.isoformat()}, after that day; pick a later last day."
            },
            code="served_after_last_day",
        )


@transaction.atomic
def mark_company_former(
    *, company: Company, left_on: datetime.date, reason: str, by: Person | None = None
) -> Company:
    """The company leaves the group on `left_on` (its last day as a member).

    Every role held for it that is open after that day ends on it (a role that would only
    have started later is withdrawn), and each person who held one is told. Its history —
    past roles, attendance — stays.
    """
    company = Company.objects.select_for_update().get(pk=company.pk)
    company.mark_former(left_on=left_on, reason=reason)
    check_last_day(company=company, left_on=left_on)
    open_roles = list(
        Role.objects.filter(company=company)
        .overlapping(left_on + DAY, None)
        .select_related("person")
        .order_by("person__full_name", "pk")
    )
    company.save(update_fields=["status", "left_on", "left_reason"])
    # Proposals for a company that left have nothing left to decide.
    for proposal in RoleProposal.objects.filter(
        company=company, status=RoleProposal.Status.PENDING
    ).select_related("person", "proposed_by", "company"):
        proposal.decline(by=by, note=f"{company.name} left the group.")
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _tell_decision(proposal)
    holders: dict[int, Person] = {}
    for role in open_roles:
        end_role(role=role, last_day=left_on)
        holders.setdefault(role.person_id, role.person)
    # Its people hear of it too, not only those whose roles end.
    staff = Person.objects.filter(company=company, is_active=True).exclude(pk__in=holders)
    for person in [*holders.values(), *staff.order_by("full_name", "pk")]:
        _tell(
            person,
            subject=f"{company.name} has left the group",
            body=(
                f"Hello {person.get_short_name()},\n\n"
                f"{company.name} is no longer a member company of {group_name()}: "
                f"its last day as a member is {left_on.isoformat()}.\n"
                + (
                    f"The roles you held for {company.name} end on that day.\n"
                    if person.pk in holders
                    else ""
                )
                + f"\nReason given: {reason}\n"
                + (f"Recorded by: {by.full_name}\n" if by else "")
            ),
            reason="company-left",
        )
    return company


@transaction.atomic
def replace_coordinator(
    *,
    company: Company,
    leaving: Person,
    arriving: Person,
    starts_on: datetime.date | None = None,
    granted_by: Person | None = None,
) -> Role:
    """`arriving` coordinates for the company from `starts_on`; `leaving`'s last day as its
    coordinator is the day before."""
    starts_on = starts_on or today()
    Company.objects.select_for_update().get(pk=company.pk)
    current = list(
        Role.objects.filter(company=company, kind=Role.Kind.COORDINATOR, person=leaving)
        .overlapping(starts_on, None)
        .order_by("starts_on")
    )
    if not current:
        raise ValidationError(
            f"{leaving} is not a coordinator of {company.name} on {starts_on.isoformat()}.",
            code="not_coordinator",
        )
    if arriving.pk == leaving.pk:
        raise ValidationError("The person arriving is the person leaving.", code="same_person")
    if any(role.starts_on >= starts_on for role in current):
        raise ValidationError(
            "The first day of the new coordinator must come after the day the leaving one started.",
            code="starts_too_early",
        )
    for role in current:
        end_role(role=role, last_day=starts_on - DAY)
    return grant_role(
        person=arriving,
        kind=Role.Kind.COORDINATOR,
        company=company,
        starts_on=starts_on,
        granted_by=granted_by,
    )


@transaction.atomic
def hand_over_role(
    *,
    company: Company,
    kind: str,
    arriving: Person,
    starts_on: datetime.date,
    leaving: Person | None = None,
    by: Person | None = None,
) -> Role:
    """Replace the company's executive, or one of its coordinators, in one step, and tell
    both people. For an executive, the one leaving is whoever holds the seat then."""
    if kind == Role.Kind.EXECUTIVE:
        holders = list(
            Role.objects.filter(company=company, kind=Role.Kind.EXECUTIVE)
            .overlapping(starts_on, None)
            .select_related("person")
        )
        if any(role.person_id == arriving.pk for role in holders):
            raise ValidationError(
                f"{arriving} is already the executive representative then.", code="same_person"
            )
        if any(role.starts_on >= starts_on for role in holders):
            # Ending such a role would erase it: refuse rather than rewrite history.
            raise ValidationError(
                "The first day of the new executive must come after the day the current one "
                "started.",
                code="starts_too_early",
            )
        role = replace_executive(
            company=company, person=arriving, starts_on=starts_on, granted_by=by
        )
        leavers = [holder.person for holder in holders]
    elif kind == Role.Kind.COORDINATOR:
        if leaving is None:
            raise ValidationError("Say which coordinator leaves.", code="no_leaving")
        role = replace_coordinator(
            company=company, leaving=leaving, arriving=arriving, starts_on=starts_on, granted_by=by
        )
        leavers = [leaving]
    else:
        raise ValidationError("Only a coordinator or the executive is replaced here.")
    label = _role_kind_label(kind)
    last_day = (starts_on - DAY).isoformat()
    for person in leavers:
        _tell(
            person,
            subject=f"Your role as {label} of {company.name} ends",
            body=(
                f"Hello {person.get_short_name()},\n\n"
                f"{arriving.full_name} takes over as {label} of {company.name} in "
                f"{group_name()} from {starts_on.isoformat()}; your last day in the role is "
                f"{last_day}.\n\nThank you.\n"
            ),
            reason="role-handed-over",
        )
    _tell(
        arriving,
        subject=f"You are {label} of {company.name}",
        body=(
            f"Hello {arriving.get_short_name()},\n\n"
            f"From {starts_on.isoformat()} you are {label} of {company.name} in "
            f"{group_name()}"
            + (f", taking over from {', '.join(p.full_name for p in leavers)}" if leavers else "")
            + ".\n"
        ),
        reason="role-handed-over",
    )
    return role


def active_chairs() -> list[Person]:
    return list(
        Person.objects.filter(
            is_active=True, roles__in=Role.objects.active().filter(kind=Role.Kind.CHAIR)
        )
        .distinct()
        .order_by("full_name")
    )


@transaction.atomic
def propose_role(
    *,
    company: Company,
    person: Person,
    kind: str,
    starts_on: datetime.date,
    note: str = "",
    proposed_by: Person | None = None,
) -> RoleProposal:
    """A coordinator proposes a coordinator or executive for their company; chairs are told."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    if not company.is_member:
        raise ValidationError(f"{company.name} is not a member company.", code="not_a_member")
    holds = Role.objects.filter(company=company, person=person, kind=kind).overlapping(
        starts_on, None
    )
    if holds.exists():
        raise ValidationError(
            f"{person.full_name} is already {_role_kind_label(kind)} of {company.name} then.",
            code="already_holds",
        )
    already = RoleProposal.objects.filter(
        company=company, person=person, kind=kind, status=RoleProposal.Status.PENDING
    )
    if already.exists():
        # A form sent twice would otherwise ask the chairs twice.
        raise ValidationError(
            f"{person.full_name} is already proposed as {_role_kind_label(kind)}; "
            "the chairs have not decided yet.",
            code="already_proposed",
        )
    proposal = RoleProposal.objects.create(
        company=company,
        person=person,
        kind=kind,
        starts_on=starts_on,
        note=note,
        proposed_by=proposed_by,
    )
    label = _role_kind_label(kind)
    for chair in active_chairs():
        _tell(
            chair,
            subject=f"Proposal: {person.full_name} as {label} of {company.name}",
            body=(
                f"Hello {chair.get_short_name()},\n\n"
                f"{proposed_by.full_name if proposed_by else 'Someone'} proposes "
                f"{person.full_name} as {label} of {company.name} from "
                f"{starts_on.isoformat()}.\n"
                + (f"Note: {note}\n" if note else "")
                + f"\nApprove or decline it at {settings.SITE_URL}/dashboard/roles/proposals/\n"
            ),
            reason="role-proposed",
        )
    return proposal


def _tell_decision(proposal: RoleProposal) -> None:
    label = _role_kind_label(proposal.kind)
    verdict = proposal.get_status_display().lower()
    people = {p.pk: p for p in (proposal.proposed_by, proposal.person) if p is not None}
    for person in people.values():
        _tell(
            person,
            subject=f"Proposal {verdict}: {proposal.person.full_name} as {label} of "
            f"{proposal.company.name}",
            body=(
                f"Hello {person.get_short_name()},\n\n"
                f"The proposal of {proposal.person.full_name} as {label} of "
                f"{proposal.company.name} in {group_name()} was {verdict}"
                + (f" by {proposal.decided_by.full_name}" if proposal.decided_by else "")
                + ".\n"
                + (f"Note: {proposal.decision_note}\n" if proposal.decision_note else "")
            ),
            reason=f"role-proposal-{proposal.status}",
        )


@transaction.atomic
def approve_proposal(*, proposal: RoleProposal, by: Person | None, note: str = "") -> Role:
    """Grant the proposed role. A start date already past at the decision counts from today:
    a role is not granted backwards over days someone else may have served."""
    proposal = (
        RoleProposal.objects.select_for_update()
        .select_related("company", "person")
        .get(pk=proposal.pk)
    )
    proposal.approve(by=by, note=note)
    starts_on = max(proposal.starts_on, today())
    if proposal.kind == Role.Kind.EXECUTIVE:
        role = hand_over_role(
            company=proposal.company,
            kind=Role.Kind.EXECUTIVE,
            arriving=proposal.person,
            starts_on=starts_on,
            by=by,
        )
    else:
        if (
            Role.objects.filter(
                company=proposal.company, person=proposal.person, kind=Role.Kind.COORDINATOR
            )
            .overlapping(starts_on, None)
            .exists()
        ):
            raise ValidationError(
                f"{proposal.person.full_name} is already a coordinator of "
                f"{proposal.company.name}; decline the proposal instead.",
                code="already_holds",
            )
        role = grant_role(
            person=proposal.person,
            kind=Role.Kind.COORDINATOR,
            company=proposal.company,
            starts_on=starts_on,
            granted_by=by,
            note="Proposed by a coordinator",
        )
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _tell_decision(proposal)
    return role


@transaction.atomic
def decline_proposal(*, proposal: RoleProposal, by: Person | None, note: str) -> RoleProposal:
    proposal = (
        RoleProposal.objects.select_for_update()
        .select_related("company", "person")
        .get(pk=proposal.pk)
    )
    proposal.decline(by=by, note=note)
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _tell_decision(proposal)
    return proposal


#: Paths under /sub-teams/ that are pages, not teams.
RESERVED_SUB_TEAM_SLUGS = frozenset({"new"})


@transaction.atomic
def create_sub_team(*, sub_team: SubTeam) -> SubTeam:
    """Save a new sub-team (filled in by a form) with an address made from its name."""
    slug = slugify(sub_team.name)[:200]
    if not slug or slug in RESERVED_SUB_TEAM_SLUGS:
        raise ValidationError({"name": "Choose a name made of letters or digits."})
    if SubTeam.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"name": "A sub-team with this name, or a name much like it, exists."}
        )
    sub_team.slug = slug
    sub_team.full_clean()
    sub_team.save()
    return sub_team


@transaction.atomic
def add_sub_team_member(
    *, sub_team: SubTeam, person: Person, affiliation: str
) -> SubTeamMembership:
    SubTeam.objects.select_for_update().get(pk=sub_team.pk)
    if SubTeamMembership.objects.filter(sub_team=sub_team, person=person).exists():
        raise ValidationError(
            {"person": f"{person.full_name} already takes part in {sub_team.name}."},
            code="already_member",
        )
    membership = SubTeamMembership(sub_team=sub_team, person=person, affiliation=affiliation)
    membership.full_clean()
    membership.save()
    return membership
