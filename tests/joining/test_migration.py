"""An existing database migrates forward: the join applications, their delegates and
events move from the members app to the joining app with every row, value and relation,
and their content types (so their permissions) follow."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from joining.models import ApplicationEvent, JoinApplication, ProposedDelegate
from meetings.models import Invitation, Meeting
from members.models import Company, Person

#: The last migration before the move: the join applications belong to members there.
BEFORE_MOVE = ("members", "0003_join_applications")
MOVED = ("joinapplication", "proposeddelegate", "applicationevent")
NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def before_move() -> list[tuple[str, str]]:
    """Every app at its latest migration, but members before the move and no joining."""
    return [
        BEFORE_MOVE if app == "members" else (app, name)
        for app, name in latest()
        if app != "joining"
    ]


def migrate(targets: list[tuple[str, str]]):
    """Migrate the test database to `targets`; the historical app registry there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def fill_old_layout(apps) -> dict:
    """Join applications as the members app kept them, with everything they point at."""

    def objects(label: str):
        return apps.get_model(label).objects

    company = objects("members.Company").create(
        name="Acme Cloud", slug="acme-cloud", status="applicant"
    )
    chair = objects("members.Person").create(
        email="chas@example.org", full_name="Chas Chair", password="!", date_joined=NOW
    )
    general = objects("meetings.Series").create(
        name="General", slug="gm", kind="general", cadence="weekly", anchor=NOW.date()
    )
    board = objects("meetings.Series").create(
        name="Board", slug="board", kind="board", cadence="explicit", anchor=NOW.date()
    )
    held = objects("meetings.Meeting").create(
        series=general,
        starts_at=NOW - datetime.timedelta(days=3),
        ends_at=NOW - datetime.timedelta(days=3) + datetime.timedelta(hours=1),
        status="held",
    )
    welcome = objects("meetings.Meeting").create(
        series=board,
        starts_at=NOW + datetime.timedelta(days=30),
        ends_at=NOW + datetime.timedelta(days=30, hours=1),
    )
    scheduled = objects("members.JoinApplication").create(
        company_name="Acme Cloud",
        website="https://acme.example.org",
        hq_timezone="Europe/Berlin",
        contact_name="Connie Contact",
        contact_email="connie@acme.example.org",
        contact_role="Head of operations",
        interests="Upgrades at scale.",
        state="welcome-scheduled",
        company=company,
        desire_meeting=held,
        welcome_meeting=welcome,
        status_token="token-acme",
        submitted_at=NOW - datetime.timedelta(days=20),
        confirmed_at=NOW - datetime.timedelta(days=19),
    )
    declined = objects("members.JoinApplication").create(
        company_name="Beta Hosting",
        website="https://beta.example.org",
        hq_timezone="Asia/Tokyo",
        contact_name="Bea Beta",
        contact_email="bea@beta.example.org",
        contact_role="CTO",
        interests="Edge sites.",
        state="declined",
        status_token="token-beta",
        submitted_at=NOW - datetime.timedelta(days=10),
        closed_reason="Not an operator yet.",
    )
    for application, people in [
        (scheduled, [("coordinator", "Cody"), ("coordinator", "Cleo"), ("executive", "Ellen")]),
        (declined, [("coordinator", "Ben"), ("executive", "Bo")]),
    ]:
        for kind, name in people:
            objects("members.ProposedDelegate").create(
                application=application,
                kind=kind,
                name=name,
                email=f"{name.lower()}@{application.website[8:]}",
            )
    steps = [
        (scheduled, "", "submitted", None, None, ""),
        (scheduled, "submitted", "confirmed", None, None, ""),
        (scheduled, "confirmed", "participating", chair, None, "Seen twice"),
        (scheduled, "participating", "desire-expressed", chair, held, ""),
        (scheduled, "desire-expressed", "welcome-scheduled", chair, welcome, ""),
        (declined, "", "submitted", None, None, ""),
        (declined, "submitted", "declined", chair, None, "Not an operator yet."),
    ]
    for n, (application, from_state, to_state, actor, meeting, note) in enumerate(steps):
        objects("members.ApplicationEvent").create(
            application=application,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            meeting=meeting,
            note=note,
            created_at=NOW - datetime.timedelta(days=20 - n),
        )
    objects("meetings.Invitation").create(
        meeting=welcome,
        name="Ellen",
        email="ellen@acme.example.org",
        reason="Welcome of Acme Cloud",
        invited_at=NOW - datetime.timedelta(days=2),
    )
    helpers = objects("auth.Group").create(name="Application helpers")
    helpers.permissions.add(
        objects("auth.Permission").get(
            content_type=objects("contenttypes.ContentType").get(
                app_label="members", model="joinapplication"
            ),
            codename="change_joinapplication",
        )
    )
    return {
        "applications": list(objects("members.JoinApplication").order_by("pk").values()),
        "delegates": list(objects("members.ProposedDelegate").order_by("pk").values()),
        "events": list(objects("members.ApplicationEvent").order_by("pk").values()),
        "invitations": list(objects("meetings.Invitation").order_by("pk").values()),
        "content types": {
            model: objects("contenttypes.ContentType").get(app_label="members", model=model).pk
            for model in MOVED
        },
        "ids": {
            "company": company.pk,
            "chair": chair.pk,
            "held": held.pk,
            "welcome": welcome.pk,
            "scheduled": scheduled.pk,
            "declined": declined.pk,
        },
    }


@pytest.mark.django_db(transaction=True)
def test_join_applications_move_to_joining_with_every_row():
    try:
        old = fill_old_layout(migrate(before_move()))
        migrate(latest())
        ContentType.objects.clear_cache()  # the ids it holds were relabelled meanwhile

        ids = old["ids"]
        assert list(JoinApplication.objects.order_by("pk").values()) == old["applications"]
        assert list(ProposedDelegate.objects.order_by("pk").values()) == old["delegates"]
        assert list(ApplicationEvent.objects.order_by("pk").values()) == old["events"]
        assert list(Invitation.objects.order_by("pk").values()) == old["invitations"]
        scheduled = JoinApplication.objects.get(pk=ids["scheduled"])
        assert (
            scheduled.company,
            scheduled.desire_meeting,
            scheduled.welcome_meeting,
            scheduled.executive.name,
            [d.name for d in scheduled.coordinators],
        ) == (
            Company.objects.get(pk=ids["company"]),
            Meeting.objects.get(pk=ids["held"]),
            Meeting.objects.get(pk=ids["welcome"]),
            "Ellen",
            ["Cody", "Cleo"],
        )
        assert list(Company.objects.get(pk=ids["company"]).applications.all()) == [scheduled]
        assert [
            (e.to_state, e.actor_id, e.meeting_id)
            for e in JoinApplication.objects.get(pk=ids["declined"]).events.all()
        ] == [("submitted", None, None), ("declined", ids["chair"], None)]
        assert list(
            Meeting.objects.get(pk=ids["welcome"]).invitations.values_list("email", flat=True)
        ) == ["ellen@acme.example.org"]
        assert {
            model: ContentType.objects.get(app_label="joining", model=model).pk for model in MOVED
        } == old["content types"]
        assert not ContentType.objects.filter(app_label="members", model__in=MOVED).exists()
        assert (
            ContentType.objects.get_for_model(JoinApplication).pk
            == (old["content types"]["joinapplication"])
        )
        assert [
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name="Application helpers").permissions.all()
        ] == ["joining.change_joinapplication"]
        added = JoinApplication.objects.create(
            company_name="Gamma",
            website="https://gamma.example.org",
            hq_timezone="UTC",
            contact_name="Gus",
            contact_email="gus@gamma.example.org",
            contact_role="Ops",
            interests="Storage.",
            status_token="token-gamma",
        )
        assert added.pk > max(ids["scheduled"], ids["declined"])
        assert Person.objects.get(pk=ids["chair"]).email == "chas@example.org"
    finally:
        migrate(latest())  # the tests that follow expect the whole schema
        ContentType.objects.clear_cache()
