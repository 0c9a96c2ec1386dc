"""seed_scale's people are like real ones: a verified primary address, mail preferences."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.utils import timezone

from meetings.audience import announcement_recipients
from meetings.models import Audience, Meeting, Series
from members.models import Person

SIZE = {"companies": 4, "people": 30, "meetings": 40, "series": 4}


def seed(**overrides) -> None:
    call_command("seed_scale", **{**SIZE, **overrides}, stdout=io.StringIO())


@pytest.mark.django_db
def test_every_scale_person_has_one_verified_primary_address_equal_to_their_email():
    seed(seed=1)

    people = dict(Person.objects.filter(email__startswith="scale.").values_list("pk", "email"))
    addresses = list(EmailAddress.objects.values_list("user_id", "email", "verified", "primary"))

    assert len(people) == 30
    assert sorted(addresses) == sorted((pk, email, True, True) for pk, email in people.items())


@pytest.mark.django_db
def test_a_third_of_scale_people_want_reminders_the_same_third_on_every_run():
    seed(seed=1)
    first = sorted(Person.objects.filter(wants_reminders=True).values_list("email", flat=True))
    seed(seed=2)  # replaces its own rows, addresses included
    second = sorted(Person.objects.filter(wants_reminders=True).values_list("email", flat=True))

    assert first == second
    assert len(first) == 10
    assert first[0] == "scale.person000000@example.org"
    assert EmailAddress.objects.count() == 30


@pytest.mark.django_db
def test_a_public_forum_scale_meeting_is_announced_to_every_scale_person():
    seed(seed=1)
    meeting = (
        Meeting.objects.filter(
            series__slug__startswith="scale-",
            series__kind=Series.Kind.FORUM,  # open to everyone with a verified account
            series__audience=Audience.PUBLIC,
            starts_at__gt=timezone.now(),
        )
        .select_related("series")
        .order_by("starts_at")
        .first()
    )

    recipients = announcement_recipients(meeting)

    assert len(recipients) == 30
    assert {address for address, _ in recipients} == set(
        Person.objects.values_list("email", flat=True)
    )
