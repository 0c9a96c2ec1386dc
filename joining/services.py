"""Joining: the application form's workflow and the group's three-step procedure.

Every state change goes through `_move`, which checks the transition against
`TRANSITIONS` and writes the timeline. The applicant's contact gets an e-mail at every
step, with the link to the application's private status page.
"""

from __future__ import annotations

import datetime
import secrets
import zoneinfo

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from lcoo.context_processors import subject_prefix
from meetings.models import Invitation, Meeting, Series
from meetings.notes import edit_agenda
from members import services as member_services
from members.models import Company, Person, Role
from members.permissions import access_for

from .mail import queue_notice
from .models import ApplicationEvent, JoinApplication, ProposedDelegate

State = JoinApplication.State

TRANSITIONS: dict[str, set[str]] = {
    State.SUBMITTED: {State.CONFIRMED, State.DECLINED, State.WITHDRAWN},
    State.CONFIRMED: {State.PARTICIPATING, State.DECLINED, State.WITHDRAWN},
    State.PARTICIPATING: {State.DESIRE_EXPRESSED, State.DECLINED, State.WITHDRAWN},
    State.DESIRE_EXPRESSED: {State.WELCOME_SCHEDULED, State.DECLINED, State.WITHDRAWN},
    # Scheduling again moves the welcome to another board meeting (say the first one was
    # cancelled): without it a cancelled meeting would leave the application stuck.
    State.WELCOME_SCHEDULED: {
        State.WELCOME_SCHEDULED,
        State.WELCOMED,
        State.DECLINED,
        State.WITHDRAWN,
    },
    State.WELCOMED: set(),
    State.DECLINED: set(),
    State.WITHDRAWN: set(),
}
# Named when the workflow lived in the members app; links already mailed carry it.
CONFIRM_SALT = "members.join.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600


class TransitionRefused(ValidationError):
    pass


def allowed_next(application: JoinApplication) -> set[str]:
    return TRANSITIONS[application.state]


def _lock(application: JoinApplication, to: str) -> JoinApplication:
    """Re-read the application under a row lock and refuse a transition its state does
    not allow. A step submitted twice at once waits here for the first, then finds the
    new state and is refused, so it never runs twice. Call it inside the transaction."""
    application.refresh_from_db(from_queryset=JoinApplication.objects.select_for_update())
    _refuse_unless_allowed(application, to)
    return application


def _refuse_unless_allowed(application: JoinApplication, to: str) -> None:
    if to not in TRANSITIONS[application.state]:
        raise TransitionRefused(
            f"An application that is “{application.get_state_display()}” cannot become "
            f"“{State(to).label}”."
        )


def _move(
    application: JoinApplication,
    to: str,
    *,
    actor: Person | None,
    meeting: Meeting | None = None,
    note: str = "",
) -> JoinApplication:
    _refuse_unless_allowed(application, to)
    ApplicationEvent.objects.create(
        application=application,
        from_state=application.state,
        to_state=to,
        actor=actor,
        meeting=meeting,
        note=note[:500],
    )
    application.state = to
    application.save()
    notify_contact(application.pk)
    return application


# The form ---------------------------------------------------------------------------


#: The open states that block a new application of the same company. "Submitted" is not
#: one of them: until its contact confirms the address, an application is only a claim
#: that anyone could make with any company's name. Counting it would let a typo in the
#: address, a lost mail or a stranger's fake application lock the company out (for good,
#: as nobody can ever confirm it), while the real contact expects simply to apply again.
#: Two unconfirmed applications may coexist; `confirm_email` lets only the first one
#: confirmed count.
BLOCKING_STATES = tuple(s for s in JoinApplication.OPEN_STATES if s != State.SUBMITTED)


def open_application_for(company_name: str) -> JoinApplication | None:
    """The company's application that counts (confirmed and still open), if any."""
    return JoinApplication.objects.filter(
        company_name__iexact=company_name.strip(), state__in=BLOCKING_STATES
    ).first()


def is_member_company(company_name: str) -> bool:
    return Company.objects.members().filter(name__iexact=company_name.strip()).exists()


@transaction.atomic
def submit_application(
    *,
    company_name: str,
    website: str,
    hq_timezone: str,
    contact_name: str,
    contact_email: str,
    contact_role: str,
    interests: str,
    coordinators: list[tuple[str, str]],
    executive: tuple[str, str],
) -> JoinApplication:
    if is_member_company(company_name):  # the member list is public
        raise ValidationError({"company_name": "This company is already a member."})
    # Whether a company has applied is the group's business: a second application is
    # taken like any other, and only its confirmation (by mail) meets the first one.
    application = JoinApplication.objects.create(
        company_name=company_name.strip(),
        website=website,
        hq_timezone=hq_timezone,
        contact_name=contact_name.strip(),
        contact_email=contact_email.lower(),
        contact_role=contact_role.strip(),
        interests=interests.strip(),
        status_token=secrets.token_urlsafe(32),
    )
    ProposedDelegate.objects.bulk_create(
        [
            ProposedDelegate(
                application=application, kind=Role.Kind.COORDINATOR, name=n, email=e.lower()
            )
            for n, e in coordinators
        ]
        + [
            ProposedDelegate(
                application=application,
                kind=Role.Kind.EXECUTIVE,
                name=executive[0],
                email=executive[1].lower(),
            )
        ]
    )
    ApplicationEvent.objects.create(application=application, to_state=State.SUBMITTED)
    notify_contact(application.pk)
    return application


def confirmation_token(application: JoinApplication) -> str:
    return signing.dumps(
        {"id": application.pk, "email": application.contact_email}, salt=CONFIRM_SALT
    )


@transaction.atomic
def confirm_email(*, token: str) -> JoinApplication:
    """The contact followed the signed link: the application now counts."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as error:
        raise ValidationError("This confirmation link has expired; apply again.") from error
    except signing.BadSignature as error:
        raise ValidationError("This confirmation link is not valid.") from error
    application = (
        JoinApplication.objects.select_for_update()
        .filter(pk=data["id"], contact_email=data["email"])
        .first()
    )
    if application is None:
        raise ValidationError("This confirmation link is not valid.")
    if application.state != State.SUBMITTED:
        return application  # a second click changes nothing
    # Unconfirmed applications do not block one another (see BLOCKING_STATES): the
    # checks of the form are made again now that this one would start to count.
    if is_member_company(application.company_name):
        raise ValidationError(f"{application.company_name} is already a member.")
    if open_application_for(application.company_name):  # this one is not counted yet
        # Said only to whoever reads the contact's mail, and without the other
        # application's state or people.
        raise ValidationError(
            f"{application.company_name} is in touch with the group already: this "
            "application goes no further."
        )
    application.confirmed_at = timezone.now()
    # The company exists from here on as an applicant, so attendance can name it.
    application.company = _applicant_company(application)
    _move(application, State.CONFIRMED, actor=None)
    return application


def _applicant_company(application: JoinApplication) -> Company:
    existing = Company.objects.filter(name__iexact=application.company_name).first()
    if existing is not None:
        return existing
    slug, n = slugify(application.company_name)[:190] or "company", 2
    base = slug
    while Company.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Company.objects.create(
        name=application.company_name,
        slug=slug,
        website=application.website,
        hq_timezone=application.hq_timezone,
        status=Company.Status.APPLICANT,
        description=application.interests[:2000],
    )


# The procedure ----------------------------------------------------------------------


@transaction.atomic
def mark_participating(
    *, application: JoinApplication, actor: Person, note: str = ""
) -> JoinApplication:
    _lock(application, State.PARTICIPATING)
    return _move(application, State.PARTICIPATING, actor=actor, note=note)


def meetings_for_step(step: str) -> QuerySet[Meeting]:
    """The meetings a step may name, in the order the coordinators' page offers them:
    for the wish to join, the General Meetings that took place (latest first); for the
    welcome, the Executive Board meetings still to come (soonest first). The services
    refuse any other meeting."""
    meetings = Meeting.objects.select_related("series")
    now = timezone.now()
    if step == State.DESIRE_EXPRESSED:
        return (
            meetings.filter(series__kind=Series.Kind.GENERAL, starts_at__lte=now)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("-starts_at")
        )
    if step == State.WELCOME_SCHEDULED:
        return meetings.filter(
            series__kind=Series.Kind.BOARD, status=Meeting.Status.SCHEDULED, starts_at__gt=now
        ).order_by("starts_at")
    raise ValueError(f"No meeting is named at the step {step!r}.")


def _may_use(meeting: Meeting, step: str) -> bool:
    return meetings_for_step(step).filter(pk=meeting.pk).exists()


@transaction.atomic
def record_desire(
    *, application: JoinApplication, meeting: Meeting | None, actor: Person, note: str = ""
) -> JoinApplication:
    """The company said at a General Meeting that it wants to join; the welcome at the
    next Executive Board meeting is scheduled with it when the actor may see the board and
    its delegates may be invited (otherwise a chair or executive representative schedules
    it as the next step)."""
    _lock(application, State.DESIRE_EXPRESSED)
    if meeting is None:
        raise ValidationError({"meeting": "Choose the General Meeting where it was said."})
    if not _may_use(meeting, State.DESIRE_EXPRESSED):
        raise ValidationError({"meeting": "Choose a General Meeting that took place."})
    application.desire_meeting = meeting
    _move(application, State.DESIRE_EXPRESSED, actor=actor, meeting=meeting, note=note)
    board = next_board_meeting(after=meeting.starts_at)
    # The welcome invites someone to the board: only those who may see it schedule it.
    if board is not None and access_for(actor).can_see_board:
        try:
            with transaction.atomic():
                schedule_welcome(application=application, meeting=board, actor=actor)
        except ValidationError:
            # The wish stands; the refusal is met when the welcome is scheduled by hand.
            application.refresh_from_db()
    return application


def next_board_meeting(*, after: datetime.datetime) -> Meeting | None:
    return meetings_for_step(State.WELCOME_SCHEDULED).filter(starts_at__gt=after).first()


@transaction.atomic
def schedule_welcome(
    *, application: JoinApplication, meeting: Meeting | None, actor: Person
) -> JoinApplication:
    """Invite the proposed executive representative to that board meeting and put the
    welcome on its agenda."""
    _lock(application, State.WELCOME_SCHEDULED)
    _refuse_unless_board(actor, "schedule the welcome")
    _refuse_unsafe_delegates(application, actor)
    if meeting is None:
        raise ValidationError({"meeting": "Choose the Executive Board meeting."})
    if meeting.series.kind != Series.Kind.BOARD:  # told apart for a clearer message
        raise ValidationError({"meeting": "The welcome takes place at an Executive Board meeting."})
    if not _may_use(meeting, State.WELCOME_SCHEDULED):
        raise ValidationError(
            {"meeting": "Choose an Executive Board meeting that is still to come."}
        )
    if application.welcome_meeting_id == meeting.pk:
        raise ValidationError({"meeting": "The welcome is scheduled at that meeting already."})
    executive = application.executive
    _unschedule_welcome(application, actor)  # moved: the earlier meeting expects it no more
    application.welcome_meeting = meeting
    _move(application, State.WELCOME_SCHEDULED, actor=actor, meeting=meeting)
    item = _welcome_item(application)
    Invitation.objects.get_or_create(
        meeting=meeting,
        email=executive.email,
        defaults={"name": executive.name, "reason": f"Welcome of {application.company_name}"},
    )
    _edit_agenda(meeting, lambda agenda: _with_item(agenda, item), actor)
    send_board_invitation(application.pk)
    return application


def _refuse_unless_board(actor: Person, what: str) -> None:
    if not access_for(actor).can_see_board:
        raise ValidationError(
            f"Only the Executive Board's members and the chairs {what}: it takes place "
            "at a board meeting."
        )


def _refuse_unsafe_delegates(application: JoinApplication, actor: Person) -> None:
    """A welcome hands roles (and a board invitation) to the delegates' addresses: none
    may be the actor's own, nor that of someone who holds a role in the group already."""
    emails = {d.email.lower() for d in application.delegates.all()}
    if actor.email.lower() in emails:
        raise ValidationError(
            "You are named as one of this application's delegates: another chair or "
            "executive representative takes this step."
        )
    holders = sorted(
        Role.objects.active()
        .filter(person__email__in=[d.email for d in application.delegates.all()])
        .values_list("person__email", flat=True)
        .distinct()
    )
    if holders:
        raise ValidationError(
            f"{', '.join(holders)} holds a role in the group already: a delegate of a new "
            "member is someone without one (end the old role first)."
        )


def _welcome_item(application: JoinApplication) -> str:
    executive = application.executive
    return f"Welcome of {application.company_name} (executive representative: {executive.name})"


def _unschedule_welcome(application: JoinApplication, actor: Person | None) -> None:
    """The welcome meeting, if still to come, no longer expects the company: its
    executive's invitation and the agenda line go."""
    previous = application.welcome_meeting
    if previous is None or previous.starts_at <= timezone.now():
        return
    Invitation.objects.filter(meeting=previous, email=application.executive.email).delete()
    line = f"- {_welcome_item(application)}"
    # A coordinator who declines the application never sees the board's agenda: the
    # portal takes its own line back, in its own name.
    author = actor if actor is not None and access_for(actor).can_see_board else None
    _edit_agenda(
        previous,
        lambda agenda: "".join(x for x in agenda.splitlines(keepends=True) if x.strip() != line),
        author,
    )


def _with_item(agenda: str, item: str) -> str:
    if item in agenda:
        return agenda
    return (agenda.rstrip() + "\n" if agenda.strip() else "") + f"- {item}\n"


def _edit_agenda(meeting: Meeting, change, author: Person | None) -> None:
    edit_agenda(meeting=meeting, change=change, author=author)


@transaction.atomic
def welcome(*, application: JoinApplication, actor: Person, note: str = "") -> JoinApplication:
    """Welcomed at the board meeting: the company becomes a member, its delegates get
    accounts (with a link to set a password) and their roles.

    Only once that meeting has started: the board welcomes the company, not the portal."""
    _lock(application, State.WELCOMED)
    _refuse_unless_board(actor, "record the welcome")
    _refuse_unsafe_delegates(application, actor)
    meeting = application.welcome_meeting
    if meeting is None:
        raise ValidationError("Schedule the welcome at an Executive Board meeting first.")
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(
            "The board meeting of the welcome was cancelled: schedule the welcome at another one."
        )
    if meeting.starts_at > timezone.now():
        raise ValidationError(
            f"The welcome is at the board meeting of {meeting.starts_at:%d %b %Y, %H:%M} UTC: "
            "record it once that meeting has taken place."
        )
    _move(application, State.WELCOMED, actor=actor, meeting=meeting, note=note)
    company = application.company or _applicant_company(application)
    day = meeting.starts_at.date()
    company.status = Company.Status.MEMBER
    company.joined_on = day
    company.left_on = None
    company.full_clean()
    company.save()
    application.company = company
    application.save(update_fields=["company"])
    invited = []
    for delegate in application.delegates.all():
        person = Person.objects.filter(email__iexact=delegate.email).first()
        if person is None:
            person = Person(email=delegate.email, full_name=delegate.name, company=company)
            person.set_unusable_password()
            person.save()
            invited.append(person.pk)
        elif not EmailAddress.objects.filter(
            user=person, email__iexact=delegate.email, verified=True
        ).exists():
            # Anyone may sign up with any address: an account nobody has confirmed may be
            # a stranger's, made in advance to catch this role. Its password goes; the
            # address's real owner sets a new one from the invitation mailed there.
            person.set_unusable_password()
            person.save(update_fields=["password"])
            invited.append(person.pk)
        if person.company_id is None:
            person.company = company
            person.save(update_fields=["company"])
        # The invitation's link reaches only the address's owner; who has set a password
        # from it has shown that they read mail there.
        EmailAddress.objects.update_or_create(
            user=person, email=person.email, defaults={"verified": True, "primary": True}
        )
        member_services.grant_role(
            person=person, kind=delegate.kind, company=company, starts_on=day, granted_by=actor
        )
    for pk in invited:
        send_account_invitation(pk)
    return application


@transaction.atomic
def decline(*, application: JoinApplication, actor: Person, reason: str) -> JoinApplication:
    _lock(application, State.DECLINED)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the application is declined."})
    application.closed_reason = reason.strip()
    _unschedule_welcome(application, actor)
    return _move(application, State.DECLINED, actor=actor, note=reason)


@transaction.atomic
def withdraw(
    *, application: JoinApplication, reason: str, actor: Person | None = None
) -> JoinApplication:
    _lock(application, State.WITHDRAWN)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the application is withdrawn."})
    application.closed_reason = reason.strip()
    _unschedule_welcome(application, actor)
    return _move(application, State.WITHDRAWN, actor=actor, note=reason)


def general_meetings_attended(application: JoinApplication) -> QuerySet[Meeting]:
    """General Meetings that took place (started, not cancelled) at which the company's
    people (or its proposed delegates) were: a roll call entered ahead of time is no
    attendance."""
    emails = [d.email for d in application.delegates.all()] + [application.contact_email]
    attended = Q(attendance__person__email__in=emails) | Q(
        attendance__guest_company__iexact=application.company_name
    )
    if application.company_id:
        attended |= Q(attendance__company=application.company_id)
    return (
        Meeting.objects.filter(attended, series__kind=Series.Kind.GENERAL)
        .filter(starts_at__lte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .distinct()
        .order_by("starts_at")
    )


# Mail -------------------------------------------------------------------------------


def status_url(application: JoinApplication) -> str:
    return settings.SITE_URL + reverse("joining:join-status", args=[application.status_token])


def notify_contact(application_id: int) -> None:
    application = JoinApplication.objects.filter(pk=application_id).first()
    if application is None:
        return
    context = {
        "application": application,
        "status_url": status_url(application),
        "confirm_url": settings.SITE_URL
        + reverse("joining:join-confirm", args=[confirmation_token(application)])
        if application.state == State.SUBMITTED
        else "",
    }
    queue_notice(
        to=application.contact_email,
        subject=f"{subject_prefix()}Your application: {application.get_state_display()}",
        template="joining/mail/join_step.txt",
        context=context,
        reason="joining.step",
    )


def send_board_invitation(application_id: int) -> None:
    application = JoinApplication.objects.select_related("welcome_meeting__series").get(
        pk=application_id
    )
    meeting = application.welcome_meeting
    executive = application.executive
    zone = zoneinfo.ZoneInfo(application.hq_timezone)
    context = {
        "application": application,
        "executive": executive,
        "meeting": meeting,
        "local_start": meeting.starts_at.astimezone(zone),
        "zone": application.hq_timezone,
        "conference_link": meeting.effective_conference_link,
    }
    queue_notice(
        to=executive.email,
        subject=f"{subject_prefix()}Invitation: {meeting.title}",
        template="joining/mail/board_invitation.txt",
        context=context,
        reason="joining.board-invitation",
    )


def send_account_invitation(person_id: int) -> None:
    person = Person.objects.get(pk=person_id)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(person),
            "key": default_token_generator.make_token(person),
        },
    )
    queue_notice(
        to=person.email,
        subject=f"{subject_prefix()}Your account on the {settings.GROUP_SHORT_NAME} Portal",
        template="joining/mail/account_invitation.txt",
        context={"person": person, "set_password_url": settings.SITE_URL + path},
        reason="joining.account-invitation",
    )
