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
