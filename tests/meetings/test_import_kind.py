"""What imported series are: a sub-team's working meetings unless someone says otherwise.

Importing the group's 20 real irc-meetings files once made every series a General Meeting:
the join page then offered applicants the Senlin team meeting, and the imported meetings
counted for the join workflow and for reminders.
"""

import datetime
import io
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from meetings.announcements import plan_due
from meetings.models import Delivery, Meeting, Series
from meetings.yaml2ical import importing
from tests.factories import PersonFactory
from tests.meetings.test_yaml2ical import CASES_DIR, NOW, REAL_DIR, require_real_data

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

AT = ["--at", "2026-09-01T00:00Z"]


def import_command(folder, *options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_yaml2ical", str(folder), *AT, *options, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.django_db
def test_import_real_files_by_default_makes_sub_team_meetings_that_feed_no_join_page(client):
    require_real_data()
    now = timezone.now()

    importing.import_directory(directory=REAL_DIR, now=now)

    assert set(Series.objects.values_list("kind", "audience")) == {("subteam", "public")}
    assert Meeting.objects.filter(starts_at__gt=now).count() > 100
    page = client.get(reverse("joining:join")).content.decode()
    assert "The next one is on" not in page
    assert "Senlin" not in page


@pytest.mark.django_db
def test_imported_meetings_send_no_reminders_until_announcements_are_turned_on():
    require_real_data()
    PersonFactory(email="keen@example.org", wants_reminders=True, verified=True)
    importing.import_files(paths=[REAL_DIR / "nova-team-meeting.yaml"], now=NOW)
    first = Meeting.objects.filter(starts_at__gt=NOW).order_by("starts_at").first()
    day_before = first.starts_at - datetime.timedelta(hours=12)

    quiet = plan_due(day_before)
    Series.objects.filter(pk=first.series_id).update(announce_days_ahead=3)
    announced = plan_due(day_before)

    assert quiet == []
    assert sorted((row.kind, row.recipient) for row in announced if row.meeting == first) == [
        (Delivery.Kind.ANNOUNCEMENT, "keen@example.org"),
        (Delivery.Kind.REMINDER, "keen@example.org"),
    ]


@pytest.mark.django_db
def test_import_command_kind_general_applies_to_series_imported_before(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "weekly.yaml")
    import_command(tmp_path)

    import_command(tmp_path, "--kind", "general")

    assert list(Series.objects.values_list("kind", "audience").distinct()) == [
        ("general", "public")
    ]


@pytest.mark.django_db
def test_import_command_without_kind_keeps_the_kind_a_coordinator_gave(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "weekly.yaml")
    import_command(tmp_path)
    Series.objects.update(kind=Series.Kind.FORUM)

    import_command(tmp_path)

    assert set(Series.objects.values_list("kind", flat=True)) == {"forum"}


@pytest.mark.django_db
def test_import_command_board_kind_takes_the_board_audience(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "weekly.yaml")

    import_command(tmp_path, "--kind", "board")

    assert set(Series.objects.values_list("kind", "audience")) == {("board", "board")}


@pytest.mark.django_db
def test_import_command_refuses_a_board_open_to_all_and_imports_nothing(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "weekly.yaml")

    with pytest.raises(CommandError) as raised:
        import_command(tmp_path, "--kind", "board", "--audience", "public")

    assert str(raised.value) == (
        "Executive Board meetings are for the board: use --audience board."
    )
    assert Series.objects.count() == 0


@pytest.mark.django_db
def test_import_command_refuses_an_unknown_kind(tmp_path):
    shutil.copy(CASES_DIR / "weekly.yaml", tmp_path / "weekly.yaml")

    with pytest.raises(CommandError) as raised:
        import_command(tmp_path, "--kind", "party")

    assert "invalid choice: 'party'" in str(raised.value)
    assert Series.objects.count() == 0
