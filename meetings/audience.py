"""Who hears of a meeting: its series' audience, and those already told of it."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet

from members.models import Person, Role
from members.permissions import compute_access_many

from .models import Audience, Delivery, Meeting, Series


def verified_people() -> QuerySet[Person]:
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True, primary=True)
    return Person.objects.filter(Exists(verified), is_active=True)


def audience_people(series: Series, on: datetime.date | None = None) -> QuerySet[Person]:
    """People a series' announcements go to, besides its mailing list.

    Board: executives and chairs. General Meetings: coordinators and chairs (they attend
    them). Sub-team meetings: the sub-team. Topical Forums, open to all: everyone with a
    verified account.
    """
    active = Role.objects.active(on)
    people = verified_people()
    if series.kind == Series.Kind.BOARD or series.audience == Audience.BOARD:
        kinds = [Role.Kind.EXECUTIVE, Role.Kind.CHAIR]
    elif series.kind == Series.Kind.GENERAL:
        kinds = [Role.Kind.COORDINATOR, Role.Kind.CHAIR]
    elif series.kind == Series.Kind.SUBTEAM and series.sub_team_id:
        return people.filter(sub_teams=series.sub_team_id)
    else:
        return people
    return people.filter(Exists(active.filter(person=OuterRef("pk"), kind__in=kinds)))


def announcement_recipients(meeting: Meeting) -> list[tuple[str, int | None]]:
    """(address, person id) of the series' mailing list (no person) and of its audience,
    each address once. A list hears of a meeting that is not open to all only when it is
    the audience's own: anyone may be on a public list."""
    recipients: dict[str, int | None] = {}
    if meeting.series.mailing_list and meeting.series.list_may_hear:
        recipients[meeting.series.mailing_list.lower()] = None
    for pk, address in audience_people(meeting.series, meeting.starts_at.date()).values_list(
        "pk", "email"
    ):
        recipients.setdefault(address.lower(), pk)
    return _with_invited(meeting, recipients)


def invited_addresses(meeting: Meeting) -> set[str]:
    """The addresses invited to the meeting by name (`Invitation`), lower-cased."""
    return {address.lower() for address in meeting.invitations.values_list("email", flat=True)}


def _with_invited(
    meeting: Meeting, recipients: dict[str, int | None]
) -> list[tuple[str, int | None]]:
    """The recipients and, each address once, those invited by name. An invited address
    is nobody's account here: its mail carries what the invitation shows (the time and
    the link), and someone of the audience with that address keeps their own mail."""
    for address in sorted(invited_addresses(meeting)):
        recipients.setdefault(address, None)
    return list(recipients.items())


def earlier_recipients(meeting: Meeting) -> list[tuple[str, int | None]]:
    """Everyone who was told of the meeting and may still see it, and everyone still
    invited to it by name: they must hear of its changes."""
    told = dict(
        meeting.deliveries.filter(kind=Delivery.Kind.ANNOUNCEMENT, round=0).values_list(
            "recipient", "person_id"
        )
    )
    return may_still_hear(meeting, dict(_with_invited(meeting, told)))


def may_still_hear(meeting: Meeting, told: dict[str, int | None]) -> list[tuple[str, int | None]]:
    """Of these (address: person id) that heard of the meeting, those who may hear of it
    again. Someone who has lost the right to see it since (an executive representative
    who stepped down, a closed account) hears nothing more of it: its mail carries the
    agenda. A list hears only while it may (`Series.list_may_hear`); an address invited
    by name, while its invitation stands."""
    people = list(Person.objects.filter(pk__in={pk for pk in told.values() if pk}, is_active=True))
    access = compute_access_many(people, meeting.starts_at.date())
    invited = invited_addresses(meeting) if None in told.values() else set()
    return [
        (address, pk)
        for address, pk in told.items()
        if (pk is None and (meeting.series.list_may_hear or address in invited))
        or (pk in access and access[pk].can_see_meeting(meeting))
    ]
