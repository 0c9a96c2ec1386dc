"""Any group under its own name: GROUP_NAME and GROUP_SHORT_NAME reach every page, mail
and feed, and the home page shows the group's profile as the admin wrote it."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from lcoo.accounts import AccountAdapter
from lcoo.models import GroupProfile
from meetings.ical import prodid
from meetings.messages import list_id
from tests.factories import AgreementFactory
from tests.joining.test_joining import form_data

ROOT = Path(__file__).resolve().parents[2]
OTHER = {"GROUP_NAME": "Open Edge Working Group", "GROUP_SHORT_NAME": "OEWG"}
FORBIDDEN = ("LCOO", "Large Contributing")


@pytest.fixture
def other_group(settings):
    settings.GROUP_NAME = OTHER["GROUP_NAME"]
    settings.GROUP_SHORT_NAME = OTHER["GROUP_SHORT_NAME"]
    # What the default becomes with GROUP_SHORT_NAME set (lcoo/settings.py).
    settings.DEFAULT_FROM_EMAIL = "OEWG Portal <portal@example.org>"
    settings.SITE_URL = "https://portal.example.org"
    return settings


def without_the_default_group(text: str) -> list[str]:
    return [word for word in FORBIDDEN if word in text]


def pages(client, meetings_, coordinator) -> dict[str, str]:
    """The main pages, anonymous and as a coordinator (the dashboard)."""
    anonymous = {
        "home": reverse("portal:home"),
        "meetings": reverse("meetings:list"),
        "meeting": meetings_["next_gm"].get_absolute_url(),
        "series": reverse("meetings:series-detail", args=[meetings_["general"].slug]),
        "agreements": reverse("agreements:list"),
        "members": reverse("members:company-list"),
        "join": reverse("joining:join"),
        "login": reverse("account_login"),
        "signup": reverse("account_signup"),
    }
    seen = {}
    for name, path in anonymous.items():
        response = client.get(path)
        assert response.status_code == 200, (name, path)
        seen[name] = response.content.decode()
    client.force_login(coordinator)
    for name, path in {
        "dashboard": reverse("portal:dashboard"),
        "meetings as a coordinator": reverse("meetings:list"),
    }.items():
        response = client.get(path)
        assert response.status_code == 200, (name, path)
        seen[name] = response.content.decode()
    return seen


@pytest.mark.django_db
def test_every_main_page_names_the_configured_group_and_never_the_lcoo(
    client, other_group, meetings_, coordinator
):
    AgreementFactory(title="Edge sites share one image pipeline")

    seen = pages(client, meetings_, coordinator)

    assert {name: without_the_default_group(html) for name, html in seen.items()} == {
        name: [] for name in seen
    }
    for name, html in seen.items():
        assert " · OEWG</title>" in html, name
        assert '<a class="brand" href="/">OEWG Portal</a>' in html, name
        assert (
            '<p>OEWG Portal — Open Edge Working Group (<a href="/about/">about the group</a>)'
            in html
        ), name
    assert "<h1>Open Edge Working Group (OEWG)</h1>" in seen["home"]
    assert "<title>Open Edge Working Group · OEWG</title>" in seen["home"]
    assert "<h1>Join the Open Edge Working Group (OEWG)</h1>" in seen["join"]
    assert 'title="OEWG agreements (Atom)"' in seen["agreements"]


@pytest.mark.django_db
def test_the_default_group_is_the_lcoo(client, db):
    html = client.get(reverse("portal:home")).content.decode()

    assert "<h1>Large Contributing OpenStack Operators (LCOO)</h1>" in html
    assert '<a class="brand" href="/">LCOO Portal</a>' in html


@pytest.mark.django_db
def test_the_join_notice_and_the_meeting_announcement_name_the_configured_group(
    client, other_group, meetings_, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("joining:join"), form_data())
    call_command(
        "run_due_jobs",
        "--at",
        (meetings_["next_gm"].starts_at - datetime.timedelta(days=1)).isoformat(),
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )

    assert applied.status_code == 302
    messages = list(mailoutbox)
    (join,) = [m for m in messages if m.to == ["connie@acme.example.org"]]
    announced = next(m for m in messages if m.to == [coordinator.email])
    assert join.subject == "[OEWG] Your application: Submitted (e-mail not confirmed yet)"
    assert "to join the Open Edge Working Group (OEWG)." in join.body
    assert join.body.rstrip().endswith("OEWG Portal")
    assert announced.extra_headers["List-Id"] == "OEWG meetings <meetings.oewg.portal.example.org>"
    assert "take part in the Open Edge Working Group (OEWG)." in announced.body
    assert "take part in the Open Edge Working Group (OEWG)." in announced.alternatives[0][0]
    for message in (join, announced):
        raw = message.message().as_string()
        assert without_the_default_group(raw) == [], message.subject
    (ics,) = [a for a in announced.attachments if a.mimetype.startswith("text/calendar")]
    content = ics.content if isinstance(ics.content, str) else ics.content.decode()
    assert "PRODID:-//OEWG Portal//Meetings//EN\r\n" in content


@pytest.mark.django_db
def test_the_feeds_name_the_configured_group(client, other_group, meetings_):
    AgreementFactory(title="Edge sites share one image pipeline")
    feeds = {
        "public": reverse("meetings:ical-feed"),
        "series": reverse("meetings:series-feed", args=[meetings_["general"].slug]),
        "kind": reverse("meetings:kind-feed", args=["general"]),
        "event": reverse("meetings:event-ics", args=[meetings_["next_gm"].pk]),
        "agreements": reverse("agreements:feed"),
    }

    bodies = {}
    for name, path in feeds.items():
        response = client.get(path)
        assert response.status_code == 200, name
        bodies[name] = b"".join(response).decode()
        bodies[name] += response.get("Content-Disposition", "")

    assert {name: without_the_default_group(body) for name, body in bodies.items()} == {
        name: [] for name in bodies
    }
    assert "X-WR-CALNAME:OEWG meetings\r\n" in bodies["public"]
    assert "X-WR-CALNAME:OEWG: General Meeting\r\n" in bodies["series"]
    assert "X-WR-CALNAME:OEWG: General Meetings\r\n" in bodies["kind"]
    assert 'filename="oewg-meetings.ics"' in bodies["public"]
    assert "PRODID:-//OEWG Portal//Meetings//EN\r\n" in bodies["event"]
    assert "<title>OEWG agreements</title>" in bodies["agreements"]


@pytest.mark.django_db
def test_a_feed_built_for_one_group_name_is_not_served_under_another(client, settings):
    first = b"".join(client.get(reverse("meetings:ical-feed"))).decode()
    settings.GROUP_SHORT_NAME = "OEWG"
    second = b"".join(client.get(reverse("meetings:ical-feed"))).decode()

    assert "X-WR-CALNAME:LCOO meetings\r\n" in first
    assert "X-WR-CALNAME:OEWG meetings\r\n" in second


@pytest.mark.parametrize(
    ("short", "site", "expected"),
    [
        ("LCOO", "https://portal.example.org", "LCOO meetings <meetings.lcoo.portal.example.org>"),
        ("OEWG", "http://127.0.0.1:8000", "OEWG meetings <meetings.oewg.localhost>"),
        ("OEWG", "http://[::1]:8000", "OEWG meetings <meetings.oewg.localhost>"),
        ("Edge, Inc.", "https://Portal.Example.org.", '"Edge, Inc. meetings" '
         "<meetings.edge-inc.portal.example.org>"),
        ("Ünïon", "https://portal.example.org",
         '"Ünïon meetings" <meetings.union.portal.example.org>'),
        ("東京", "https://portal.example.org",
         '"東京 meetings" <meetings.group.portal.example.org>'),
    ],
)  # fmt: skip
def test_list_id_is_an_rfc_2919_id_from_the_short_name_and_the_host(
    settings, short, site, expected
):
    settings.GROUP_SHORT_NAME = short
    settings.SITE_URL = site

    assert list_id() == expected


def test_account_mail_subjects_carry_the_short_name(settings):
    settings.GROUP_SHORT_NAME = "OEWG"

    assert AccountAdapter().format_email_subject("Please confirm") == "[OEWG] Please confirm"


def test_prodid_names_the_groups_portal(settings):
    settings.GROUP_SHORT_NAME = "OEWG"

    assert prodid() == "-//OEWG Portal//Meetings//EN"


@pytest.mark.django_db
def test_home_shows_the_profile_the_admin_wrote_and_nothing_before(client):
    empty = client.get(reverse("portal:home")).content.decode()
    GroupProfile.objects.create(
        summary="Edge operators *together*.",
        mission="- Share edge runbooks.",
        principles="- **Openness.** In the open.",
    )

    html = client.get(reverse("portal:home")).content.decode()

    assert "Mission" not in empty
    assert "Guiding principles" not in empty
    assert '<div class="lead"><p>Edge operators <em>together</em>.</p></div>' in html
    assert "<li>Share edge runbooks.</li>" in html
    assert "<li><strong>Openness.</strong> In the open.</li>" in html


@pytest.mark.django_db
def test_the_profile_is_one_row(db):
    GroupProfile(mission="first").save()
    GroupProfile(mission="second").save()

    assert list(GroupProfile.objects.values_list("pk", "mission")) == [(1, "second")]
    assert GroupProfile.current().mission == "second"


@pytest.mark.django_db
def test_profile_markdown_is_sanitised(client):
    GroupProfile.objects.create(mission="<script>alert(1)</script> [x](javascript:alert(1))")

    html = client.get(reverse("portal:home")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "javascript:" not in html


@pytest.mark.django_db
def test_seed_demo_writes_the_lcoo_profile_the_home_page_shows(client):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115

    html = client.get(reverse("portal:home")).content.decode()
    profile = GroupProfile.current()

    assert profile.mission.startswith("- Facilitate sharing and discussion of OpenStack")
    assert "<li><strong>Openness.</strong> We work openly" in html
    assert "companies that run OpenStack at scale network together" in html


@pytest.mark.django_db
def test_saving_the_profile_retires_the_cached_pages(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    first = client.get(reverse("portal:home"))
    profile = GroupProfile.current()
    profile.mission = "- A new mission."
    profile.save()
    second = client.get(reverse("portal:home"))

    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "miss"
    assert "<li>A new mission.</li>" in second.content.decode()


def settings_fail(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GROUP_", "DJANGO_SETTINGS"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"GROUP_NAME": ""}, "GROUP_NAME must not be empty"),
        ({"GROUP_SHORT_NAME": "  "}, "GROUP_SHORT_NAME must not be empty"),
        ({"GROUP_SHORT_NAME": "OE\nWG"}, "GROUP_SHORT_NAME must be one line of text"),
        ({"GROUP_NAME": "Open\x07Edge"}, "GROUP_NAME must be one line of text"),
    ],
)
def test_an_empty_or_control_character_group_name_refuses_to_start(env, error):
    result = settings_fail(env)

    assert result.returncode == 1
    assert f"ImproperlyConfigured: {error}" in result.stderr


def test_group_names_from_the_environment_reach_the_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c",
         "from django.conf import settings as s; "
         "print(s.GROUP_NAME, s.GROUP_SHORT_NAME, s.DEFAULT_FROM_EMAIL, sep='|')"],
        cwd=ROOT,
        env={**os.environ, **OTHER},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip

    assert result.stdout.strip() == (
        "Open Edge Working Group|OEWG|OEWG Portal <portal@example.org>"
    )


PROFILE_ADMIN = "/admin/lcoo/groupprofile/"


@pytest.mark.django_db
def test_staff_write_the_profile_once_then_edit_it_in_the_admin(client, staff, with_mfa):
    with_mfa(staff)
    client.force_login(staff)
    data = {"summary": "Edge operators.", "mission": "- Share runbooks.", "principles": ""}

    added = client.post(f"{PROFILE_ADMIN}add/", data)
    add_again = client.get(f"{PROFILE_ADMIN}add/")
    edited = client.post(f"{PROFILE_ADMIN}1/change/", {**data, "mission": "- Share more."})
    delete = client.post(f"{PROFILE_ADMIN}1/delete/", {"post": "yes"})

    assert added.status_code == 302
    assert add_again.status_code == 403
    assert edited.status_code == 302
    assert delete.status_code == 403
    assert list(GroupProfile.objects.values_list("pk", "summary", "mission")) == [
        (1, "Edge operators.", "- Share more.")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "participant", "coordinator"])
def test_only_staff_reach_the_profile_admin(client, who, participant, coordinator):
    if who != "anonymous":
        client.force_login({"participant": participant, "coordinator": coordinator}[who])

    response = client.post(f"{PROFILE_ADMIN}add/", {"mission": "- Taken over."})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert GroupProfile.objects.exists() is False


@pytest.mark.django_db
def test_a_page_cached_under_one_group_name_is_not_served_under_another(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    first = client.get(reverse("meetings:list"))
    settings.GROUP_SHORT_NAME = "OEWG"
    second = client.get(reverse("meetings:list"))
    third = client.get(reverse("meetings:list"))

    assert [r["X-Page-Cache"] for r in (first, second, third)] == ["miss", "miss", "hit"]
    assert '<a class="brand" href="/">OEWG Portal</a>' in second.content.decode()


@pytest.mark.django_db
def test_about_page_shows_the_profile_under_the_groups_name(
    client, other_group, django_assert_max_num_queries
):
    empty = client.get(reverse("portal:about"))
    GroupProfile.objects.create(summary="Edge operators.", mission="- Share edge runbooks.")

    with django_assert_max_num_queries(1):
        response = client.get(reverse("portal:about"))

    html = response.content.decode()
    assert empty.status_code == 200
    assert "The group has not described itself here yet." in empty.content.decode()
    assert response.status_code == 200
    assert "<title>About the OEWG · OEWG</title>" in html
    assert "<h1>About the Open Edge Working Group (OEWG)</h1>" in html
    assert "<li>Share edge runbooks.</li>" in html
    assert "Guiding principles" not in html
    assert without_the_default_group(html) == []


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_about_page_changes_nothing(client, coordinator, method):
    GroupProfile.objects.create(mission="- Kept.")
    client.force_login(coordinator)

    response = getattr(client, method)(reverse("portal:about"), {"mission": "- Taken over."})

    assert response.status_code == 405
    assert GroupProfile.current().mission == "- Kept."
