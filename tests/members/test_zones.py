"""Real zones only: every picker offers the zones of zone.tab and UTC, labelled with
country and offset for search; aliases and pseudo-zones are refused with a message,
stored ones still load, and a migration maps them to their zone."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from joining.forms import JoinForm
from meetings import planner
from meetings.forms import ExtraMeetingForm, MeetingForm, SlotForm
from meetings.models import Slot
from meetings.views.public import fairness_table
from members.forms import (
    CompanyProfileForm,
    ProfileForm,
    SignupDetailsForm,
    TimezoneSwitchForm,
)
from members.middleware import viewer_timezone
from members.models import (
    Company,
    Person,
    canonical_timezone,
    search_timezones,
    timezone_aliases,
    timezone_label,
    timezone_names,
    validate_timezone,
)
from tests.factories import MeetingFactory

WINTER = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2026, 7, 4, 12, 0, tzinfo=datetime.UTC)
LOCAL = [WINTER.date(), datetime.time(14), "Europe/Paris"]
NOT_ZONES = ["localtime", "Factory", "posixrules", "US/Eastern", "Asia/Calcutta", "Etc/GMT+5"]


def option_values(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', html)


def test_offered_zones_are_places_and_utc_only():
    names = timezone_names()

    assert {"Europe/Paris", "Europe/Kyiv", "Asia/Kolkata", "America/New_York", "UTC"} <= names
    assert [name for name in [*NOT_ZONES, "Europe/Kiev", "Etc/UTC", "GMT"] if name in names] == []
    assert [name for name in names if name.startswith("Etc/")] == []


def test_aliases_map_to_their_zone():
    aliases = timezone_aliases()

    assert (aliases["US/Eastern"], aliases["Asia/Calcutta"], aliases["Europe/Kiev"]) == (
        "America/New_York",
        "Asia/Kolkata",
        "Europe/Kyiv",
    )
    assert (aliases["localtime"], aliases["Etc/UTC"], aliases["Factory"]) == ("UTC", "UTC", "UTC")
    assert set(aliases.values()) <= timezone_names()
    assert canonical_timezone("Mars/Base") is None


def test_validation_says_which_zone_to_choose_instead():
    messages = {}
    for value in ["US/Eastern", "localtime", "Mars/Base"]:
        with pytest.raises(ValidationError) as error:
            validate_timezone(value)
        messages[value] = error.value.messages[0]

    assert messages == {
        "US/Eastern": "US/Eastern is an old or alternative name: choose America/New_York instead.",
        "localtime": "localtime is an old or alternative name: choose UTC instead.",
        "Mars/Base": "Mars/Base is not a time zone we offer: choose a place's zone, such as "
        "Europe/Paris, Asia/Tokyo or UTC.",
    }


def test_labels_carry_country_and_offset():
    assert timezone_label("Europe/Paris", WINTER) == "Europe/Paris — France — UTC+0100 (now)"
    assert timezone_label("Asia/Kolkata", SUMMER) == "Asia/Kolkata — India — UTC+0530 (now)"
    assert timezone_label("UTC", WINTER) == "UTC — UTC+0000 (now)"


def test_search_finds_paris_by_country_and_by_offset():
    assert search_timezones("France", WINTER) == ["Europe/Paris"]
    assert "Europe/Paris" in search_timezones("+01", WINTER)
    assert "Europe/Paris" in search_timezones("+02", SUMMER)
    assert "Europe/Paris" not in search_timezones("+05", WINTER)
    assert search_timezones("new york") == ["America/New_York"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "field"),
    [
        (lambda: ProfileForm(), "time_zone"),
        (lambda: SignupDetailsForm(), "time_zone"),
        (lambda: TimezoneSwitchForm(), "tz"),
        (lambda: JoinForm(), "hq_timezone"),
        (lambda: CompanyProfileForm(), "hq_timezone"),
        (lambda: SlotForm(), "zone"),
        (lambda: MeetingForm(initial={"starts_at": LOCAL}), "starts_at"),
        (lambda: ExtraMeetingForm(initial={"starts_at": LOCAL}), "starts_at"),
    ],
)
def test_no_picker_offers_aliases_or_pseudo_zones(form, field):
    html = str(form()[field])
    offered = option_values(html)

    assert [name for name in NOT_ZONES if name in offered] == []
    assert "Europe/Paris" in offered
    assert "data-zone-picker" in html
    assert "" in offered  # "Choose a zone": nothing is picked for anyone by default


@pytest.mark.django_db
def test_join_form_preselects_no_headquarters_zone_and_requires_one():
    html = str(JoinForm()["hq_timezone"])
    form = JoinForm({"hq_timezone": ""})

    assert re.findall(r'<option value="([^"]*)"[^>]*selected', html) == [""]
    assert "Africa/Abidjan" in option_values(html)
    assert form.is_valid() is False
    assert form.errors["hq_timezone"] == ["This field is required."]


@pytest.mark.django_db
def test_signup_asks_for_the_browser_zone():
    html = str(SignupDetailsForm()["time_zone"])

    assert "data-zone-browser-default" in html
    assert re.findall(r'<option value="([^"]*)"[^>]*selected', html) == [""]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["localtime", "Factory", "posixrules", "US/Eastern"])
def test_profile_post_with_a_non_zone_is_refused_with_the_message(client, participant, value):
    client.force_login(participant)

    response = client.post(reverse("members:profile"), {"full_name": "Pat", "time_zone": value})

    participant.refresh_from_db()
    assert response.context["form"].errors["time_zone"] == [
        f"{value} is an old or alternative name: choose "
        f"{'America/New_York' if value == 'US/Eastern' else 'UTC'} instead."
    ]
    assert participant.time_zone == "UTC"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["localtime", "Factory", "posixrules", "US/Eastern"])
def test_join_post_with_a_non_zone_is_refused(client, value):
    response = client.post(reverse("joining:join"), {"hq_timezone": value})

    assert response.status_code == 400
    assert "is an old or alternative name" in response.context["form"].errors["hq_timezone"][0]


@pytest.mark.django_db
def test_footer_switcher_lists_only_offered_zones(client):
    body = client.get(reverse("portal:home")).content.decode()
    datalist = body.split('<datalist id="tz-names">')[1].split("</datalist>")[0]
    offered = option_values(datalist)

    assert sorted(offered) == sorted(timezone_names())
    assert "France" in datalist


@pytest.mark.django_db
def test_switcher_refuses_localtime_with_the_message(client):
    response = client.get(reverse("members:switch-timezone"), {"tz": "localtime"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "localtime is an old or alternative name: choose UTC instead. Times are shown as before."
    ]
    assert "lcoo_tz" not in client.cookies


@pytest.mark.django_db
def test_a_stored_alias_still_loads_and_shows(client, participant, rf):
    Person.objects.filter(pk=participant.pk).update(time_zone="Asia/Calcutta")
    participant.refresh_from_db()
    client.force_login(participant)
    request = rf.get("/")
    request.user = participant

    html = str(ProfileForm(instance=participant)["time_zone"])

    assert re.findall(r'<option value="([^"]*)"[^>]*selected', html) == ["Asia/Calcutta"]
    assert viewer_timezone(request) == ("Asia/Kolkata", "profile")
    assert client.get(reverse("members:profile")).status_code == 200


@pytest.mark.django_db
def test_a_company_without_headquarters_zone_is_shown_and_left_out_of_fairness(client):
    company = Company.objects.create(name="Zoneless", slug="zoneless", status="member")

    body = client.get(reverse("members:company-detail", args=[company.slug])).content.decode()

    assert company.hq_timezone == ""
    assert "headquarters zone not chosen yet" in body


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_maps_stored_aliases_to_their_zone():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = [
        ("members", "0006_company_zone_optional_zone_names")
        if app == "members"
        else ("meetings", "0009_zone_names")
        if app == "meetings"
        else ("joining", "0002_zone_names")
        if app == "joining"
        else (app, name)
        for app, name in latest
    ]
    old = migrate(before)
    people = old.get_model("members", "Person").objects
    companies = old.get_model("members", "Company").objects
    for email, zone in [
        ("a@x.org", "US/Eastern"),
        ("b@x.org", "localtime"),
        ("c@x.org", "Mars/Base"),
    ]:
        people.create(email=email, full_name=email, password="!", time_zone=zone)
    companies.create(name="Kyiv Co", slug="kyiv-co", hq_timezone="Europe/Kiev")
    companies.create(name="No Zone", slug="no-zone", hq_timezone="")
    series = old.get_model("meetings", "Series").objects.create(
        name="GM", slug="gm", kind="general", cadence="weekly", anchor=WINTER.date()
    )
    old.get_model("meetings", "Slot").objects.create(
        series=series, weekday=1, local_time=datetime.time(14), zone="Asia/Calcutta"
    )

    migrate(latest)

    assert dict(Person.objects.values_list("email", "time_zone")) == {
        "a@x.org": "America/New_York",
        "b@x.org": "UTC",
        "c@x.org": "Mars/Base",  # unknown: left for a person to fix
    }
    assert dict(Company.objects.values_list("slug", "hq_timezone")) == {
        "kyiv-co": "Europe/Kyiv",
        "no-zone": "",
    }
    assert list(Slot.objects.values_list("zone", flat=True)) == ["Asia/Kolkata"]


@pytest.mark.django_db
def test_fairness_planner_and_dst_leave_out_a_company_without_zone():
    Company.objects.create(name="Zoneless", slug="zoneless", status="member")
    Company.objects.create(
        name="Orange", slug="orange", status="member", hq_timezone="Europe/Paris"
    )
    companies = list(Company.objects.members().order_by("name"))
    meeting = MeetingFactory(starts_at=WINTER, ends_at=WINTER + datetime.timedelta(hours=1))

    table = fairness_table([meeting], companies, datetime.timedelta(hours=1))

    assert [row["company"].name for row in table["rows"]] == ["Orange"]
    assert planner.audience_zones() == ["Europe/Paris"]
