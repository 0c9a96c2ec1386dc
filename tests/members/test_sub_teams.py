import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import SubTeam, SubTeamMembership
from tests.factories import PersonFactory, SubTeamFactory, SubTeamMembershipFactory

CREATE = reverse("members:subteam-create")


def _edit(team):
    return reverse("members:subteam-edit", args=[team.slug])


def _team_data(**changes):
    data = {
        "team-name": "Edge SIG",
        "team-kind": "sig",
        "team-description": "Edge clouds.\r\nFar edge too.",
        "team-lead": "",
        "team-is_active": "on",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_coordinator_starts_a_sub_team(client, coordinator):
    client.force_login(coordinator)

    response = client.post(CREATE, _team_data(**{"team-lead": coordinator.pk}))

    team = SubTeam.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _edit(team)
    assert (team.name, team.slug, team.kind, team.lead) == (
        "Edge SIG",
        "edge-sig",
        "sig",
        coordinator,
    )


@pytest.mark.django_db
def test_coordinator_edits_a_sub_team_and_its_address_stays(client, coordinator):
    team = SubTeamFactory(name="Edge SIG")
    client.force_login(coordinator)

    response = client.post(_edit(team), _team_data(**{"team-name": "Edge Computing SIG"}))

    team.refresh_from_db()
    assert response.status_code == 302
    assert (team.name, team.slug) == ("Edge Computing SIG", "edge-sig")


@pytest.mark.django_db
def test_coordinator_adds_and_removes_a_participant(client, coordinator):
    team = SubTeamFactory()
    person = PersonFactory()
    client.force_login(coordinator)

    added = client.post(
        _edit(team), {"member-person": person.pk, "member-affiliation": "community"}
    )
    membership = SubTeamMembership.objects.get(sub_team=team)
    removed = client.post(reverse("members:subteam-member-remove", args=[team.slug, membership.pk]))

    assert (added.status_code, removed.status_code) == (302, 302)
    assert (membership.person, membership.affiliation) == (person, "community")
    assert SubTeamMembership.objects.filter(sub_team=team).count() == 0


@pytest.mark.django_db
def test_adding_a_participant_twice_refused(client, coordinator):
    membership = SubTeamMembershipFactory()
    client.force_login(coordinator)

    response = client.post(
        _edit(membership.sub_team),
        {"member-person": membership.person.pk, "member-affiliation": "interested"},
    )

    assert response.status_code == 400
    assert list(response.context["member_form"].errors) == ["person"]
    assert SubTeamMembership.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"team-name": "Edge\r\nSIG"}, "name"),
        ({"team-name": ""}, "name"),
        ({"team-name": "New"}, "name"),
        ({"team-kind": "club"}, "kind"),
        ({"team-description": "Bell\x07"}, "description"),
        ({"team-lead": "999999"}, "lead"),
    ],
)
def test_sub_team_bad_input_changes_nothing(client, coordinator, changes, field):
    client.force_login(coordinator)

    response = client.post(CREATE, _team_data(**changes))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert response.context["form"]["name"].value() == _team_data(**changes)["team-name"]
    assert SubTeam.objects.count() == 0


@pytest.mark.django_db
def test_two_teams_with_the_same_address_refused(client, coordinator):
    SubTeamFactory(name="Edge SIG")
    client.force_login(coordinator)

    response = client.post(CREATE, _team_data(**{"team-name": "Edge  sig!"}))

    assert response.status_code == 400
    assert SubTeam.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["participant", "executive"])
def test_sub_team_pages_refused_to_non_coordinators(client, request, who):
    membership = SubTeamMembershipFactory()
    team = membership.sub_team
    client.force_login(request.getfixturevalue(who))

    responses = [
        client.get(CREATE),
        client.post(CREATE, _team_data()),
        client.get(_edit(team)),
        client.post(_edit(team), _team_data(**{"team-name": "Taken over"})),
        client.post(reverse("members:subteam-member-remove", args=[team.slug, membership.pk])),
    ]

    team.refresh_from_db()
    assert [r.status_code for r in responses] == [403] * 5
    assert team.name != "Taken over"
    assert SubTeamMembership.objects.count() == 1


@pytest.mark.django_db
def test_sub_team_pages_anonymous_and_forged_ids(client, coordinator):
    membership = SubTeamMembershipFactory()
    other_team = SubTeamFactory()
    anonymous = client.get(CREATE)
    client.force_login(coordinator)

    # A membership of one team cannot be removed through another team's address.
    forged = client.post(
        reverse("members:subteam-member-remove", args=[other_team.slug, membership.pk])
    )

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert forged.status_code == 404
    assert client.get(reverse("members:subteam-edit", args=["no-such"])).status_code == 404
    assert SubTeamMembership.objects.count() == 1


@pytest.mark.django_db
def test_sub_team_edit_page_queries_do_not_grow(client, coordinator):
    team = SubTeamFactory()
    client.force_login(coordinator)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_edit(team)).status_code == 200
        return len(ctx.captured_queries)

    SubTeamMembershipFactory.create_batch(2, sub_team=team)
    small = count()
    SubTeamMembershipFactory.create_batch(15, sub_team=team)

    assert count() == small


@pytest.mark.django_db
def test_sub_team_edit_page_queries_pinned(client, coordinator, django_assert_max_num_queries):
    team = SubTeamFactory()
    SubTeamMembershipFactory.create_batch(3, sub_team=team)
    client.force_login(coordinator)

    # session, user, access, the team, its participants, the two lists of people to choose
    with django_assert_max_num_queries(7):
        assert client.get(_edit(team)).status_code == 200
