import datetime

import factory
from allauth.account.models import EmailAddress
from django.utils.text import slugify

from members.models import Company, Person, Role, SubTeam, SubTeamMembership, ToolLink

PASSWORD = "a-long-test-password"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    hq_timezone = "Europe/Paris"
    status = Company.Status.MEMBER
    joined_on = datetime.date(2017, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    time_zone = "UTC"
    profile_public = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    person = factory.SubFactory(PersonFactory)
    kind = Role.Kind.COORDINATOR
    company = factory.SubFactory(CompanyFactory)
    starts_on = datetime.date(2020, 1, 1)


class SubTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubTeam

    name = factory.Sequence(lambda n: f"Sub-team {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = SubTeam.Kind.SIG
    lead = factory.SubFactory(PersonFactory)


class SubTeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubTeamMembership

    sub_team = factory.SubFactory(SubTeamFactory)
    person = factory.SubFactory(PersonFactory)
    affiliation = SubTeamMembership.Affiliation.INTERESTED


class ToolLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolLink

    name = factory.Sequence(lambda n: f"Tool {n}")
    category = ToolLink.Category.CHAT
    url = factory.Sequence(lambda n: f"https://tools.example.org/{n}")


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "meetings.Series"

    name = factory.Sequence(lambda n: f"Series {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = "general"
    audience = "public"
    cadence = "weekly"
    interval = 2
    anchor = datetime.date(2026, 1, 5)
    duration_minutes = 60
    conference_link = "https://meet.example.org/room"


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "meetings.Slot"

    series = factory.SubFactory(SeriesFactory)
    position = factory.Sequence(lambda n: n)
    weekday = 1
    local_time = datetime.time(14, 0)
    zone = "Europe/Paris"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "meetings.Meeting"

    series = factory.SubFactory(SeriesFactory)
    starts_at = factory.Sequence(
        lambda n: (
            datetime.datetime(2030, 1, 1, 13, tzinfo=datetime.UTC) + datetime.timedelta(days=n)
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=1))


# Agreements ------------------------------------------------------------------------


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "agreements.Topic"
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "agreements.Agreement"

    title = factory.Sequence(lambda n: f"Agreement {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    summary = factory.LazyAttribute(lambda o: f"Summary of {o.title}.")
    body = ""
    proposing_company = factory.SubFactory(CompanyFactory)
    proposed_on = datetime.date(2026, 1, 5)
    status = "proposed"
    visibility = "public"


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "agreements.Position"

    agreement = factory.SubFactory(AgreementFactory)
    company = factory.SubFactory(CompanyFactory)
    stance = "agrees"


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "agreements.ActionItem"

    title = factory.Sequence(lambda n: f"Action {n}")
    owner = factory.SubFactory(PersonFactory)
    raised_at = factory.SubFactory(MeetingFactory)
    status = "open"
    visibility = "public"


class ForumTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "agreements.ForumTopic"

    title = factory.Sequence(lambda n: f"Forum topic {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    proposed_by_company = factory.SubFactory(CompanyFactory)
