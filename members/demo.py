"""Demo members: the six member companies of the group's wiki page, fictional people,
their roles, sub-teams and the group's tools.

Safe to run again: everything is keyed by a natural key (slug, e-mail address) and
updated in place.
"""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress

from .models import Company, Person, Role, SubTeam, SubTeamMembership, ToolLink

# The demo logins print it; demo data is for local use (bandit B105 reviewed).
DEMO_PASSWORD = "lcoo-demo-password"  # noqa: S105  # nosec B105

# (name, slug, headquarters zone, joined, website)
COMPANIES = [
    ("AT&T", "att", "America/Chicago", datetime.date(2016, 6, 1), "https://www.att.com/"),
    ("Intel", "intel", "America/Los_Angeles", datetime.date(2016, 6, 1), "https://www.intel.com/"),
    ("NTT", "ntt", "Asia/Tokyo", datetime.date(2016, 9, 15), "https://group.ntt/en/"),
    ("Orange", "orange", "Europe/Paris", datetime.date(2016, 9, 15), "https://www.orange.com/"),
    (
        "Reliance Jio",
        "reliance-jio",
        "Asia/Kolkata",
        datetime.date(2017, 3, 2),
        "https://www.jio.com/",
    ),
    (
        "SK Telecom",
        "sk-telecom",
        "Asia/Seoul",
        datetime.date(2017, 3, 2),
        "https://www.sktelecom.com/",
    ),
]

# Fictional people. (e-mail local part, full name, company slug or None, zone, role kinds)
PEOPLE = [
    ("chair.ada", "Ada Fenwick", None, "Europe/London", ["chair"]),
    ("chair.kenji", "Kenji Arakawa", None, "Asia/Tokyo", ["chair"]),
    ("coord.att", "Morgan Reyes", "att", "America/Chicago", ["coordinator"]),
    ("exec.att", "Dana Whitfield", "att", "America/New_York", ["executive"]),
    ("coord.intel", "Priya Natarajan", "intel", "America/Los_Angeles", ["coordinator"]),
    ("coord2.intel", "Tomasz Lewandowski", "intel", "Europe/Warsaw", ["coordinator"]),
    ("exec.intel", "Leslie Okafor", "intel", "America/Los_Angeles", ["executive"]),
    ("coord.ntt", "Haruka Sato", "ntt", "Asia/Tokyo", ["coordinator"]),
    ("exec.ntt", "Daichi Mori", "ntt", "Asia/Tokyo", ["executive"]),
    ("coord.orange", "Camille Moreau", "orange", "Europe/Paris", ["coordinator"]),
    ("exec.orange", "Julien Garnier", "orange", "Europe/Paris", ["executive"]),
    ("coord.jio", "Arjun Mehta", "reliance-jio", "Asia/Kolkata", ["coordinator"]),
    ("exec.jio", "Kavita Rao", "reliance-jio", "Asia/Kolkata", ["executive"]),
    ("coord.skt", "Minji Park", "sk-telecom", "Asia/Seoul", ["coordinator"]),
    ("exec.skt", "Seojun Kim", "sk-telecom", "Asia/Seoul", ["executive"]),
    ("contributor", "Rosa Lindqvist", None, "Europe/Stockholm", ["contributor"]),
    ("participant", "Sam Okonkwo", None, "Africa/Lagos", []),
    ("staff", "Noor Haddad", None, "Europe/Berlin", []),
]

#: Staff: the Django admin. RequireMFAMiddleware asks them, as chairs, for two-factor
#: authentication at the first page after login.
STAFF = {"staff"}

SUB_TEAMS = [
    (
        "Extreme Testing",
        "extreme-testing",
        SubTeam.Kind.PROJECT,
        "coord.att",
        "Destructive and large-scale testing of OpenStack clouds, shared between operators.",
        ["coord.att", "coord.orange", "contributor", "participant"],
    ),
    (
        "Rolling Upgrades",
        "rolling-upgrades",
        SubTeam.Kind.SIG,
        "coord.ntt",
        "Upgrading large clouds without downtime: runbooks, tests and upstream fixes.",
        ["coord.ntt", "coord.skt", "coord2.intel", "contributor"],
    ),
    (
        "Distributed Edge PoC",
        "distributed-edge-poc",
        SubTeam.Kind.POC,
        "coord.jio",
        "A proof of concept of many small sites managed as one distributed cloud.",
        ["coord.jio", "coord.intel", "participant"],
    ),
]

TOOLS = [
    (
        "Issue tracker",
        ToolLink.Category.ISSUES,
        "https://openstack-lcoo.atlassian.net",
        "Agile issue tracking and the life cycle of the group's projects.",
    ),
    (
        "Code repositories",
        ToolLink.Category.CODE,
        "https://github.com/LCOO",
        "Repositories for work that cannot live in the community's own Git.",
    ),
    (
        "Chat",
        ToolLink.Category.CHAT,
        "https://lcoo.slack.com",
        "Instant messaging across our global members and collaborators.",
    ),
    (
        "Wiki",
        ToolLink.Category.WIKI,
        "https://openstack-lcoo.atlassian.net/wiki",
        "Shared documents, meeting notes and action items.",
    ),
    (
        "Web meetings",
        ToolLink.Category.MEETINGS,
        "https://meet.example.org/lcoo",
        "The group's video-conference room.",
    ),
]

#: The logins the demo command prints: (who the person is, e-mail local part).
LOGINS = [
    ("chair (asks to set up two-factor authentication)", "chair.ada"),
    ("coordinator, Orange", "coord.orange"),
    ("executive representative, NTT", "exec.ntt"),
    ("contributor", "contributor"),
    ("participant without a role", "participant"),
    (
        "staff, the Django admin at /admin/ (asks to set up two-factor authentication)",
        "staff",
    ),
]


def seed(stdout) -> None:
    companies = {}
    for name, slug, zone, joined, website in COMPANIES:
        companies[slug], _ = Company.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "hq_timezone": zone,
                "status": Company.Status.MEMBER,
                "joined_on": joined,
                "website": website,
                "description": f"{name} runs large OpenStack clouds and is a founding "
                "member of the group."
                if joined.year == 2016
                else f"{name} runs large OpenStack clouds.",
            },
        )

    people = {}
    for local, full_name, company_slug, zone, kinds in PEOPLE:
        email = f"{local}@example.org"
        person, created = Person.objects.update_or_create(
            email=email,
            defaults={
                "full_name": full_name,
                "company": companies.get(company_slug),
                "time_zone": zone,
                "profile_public": local not in ("participant", "staff"),
                "is_staff": local in STAFF,
                "is_superuser": local in STAFF,
            },
        )
        if created or not person.has_usable_password():
            person.set_password(DEMO_PASSWORD)
            person.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=person, email=email, defaults={"verified": True, "primary": True}
        )
        for kind in kinds:
            Role.objects.get_or_create(
                person=person,
                kind=kind,
                company=companies.get(company_slug) if kind in Role.COMPANY_KINDS else None,
                ends_on=None,
                defaults={"starts_on": datetime.date(2017, 11, 5)},
            )
        people[local] = person

    for name, slug, kind, lead, description, members in SUB_TEAMS:
        team, _ = SubTeam.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "lead": people[lead],
                "description": description,
            },
        )
        for local in members:
            person = people[local]
            affiliation = (
                SubTeamMembership.Affiliation.MEMBER_COMPANY
                if person.company_id
                else SubTeamMembership.Affiliation.COMMUNITY
                if local == "contributor"
                else SubTeamMembership.Affiliation.INTERESTED
            )
            SubTeamMembership.objects.update_or_create(
                sub_team=team, person=person, defaults={"affiliation": affiliation}
            )

    for position, (name, category, url, description) in enumerate(TOOLS):
        ToolLink.objects.update_or_create(
            name=name,
            defaults={
                "category": category,
                "url": url,
                "description": description,
                "position": position,
            },
        )
