import pytest
from django.core.management import call_command

from meetings.models import Meeting, Series


@pytest.mark.django_db
def test_seed_demo_creates_three_rotating_series_and_a_year_of_meetings():
    call_command("seed_demo")
    counts = Meeting.objects.count()

    call_command("seed_demo")

    series = {s.slug: s for s in Series.objects.prefetch_related("slots", "dates")}
    assert set(series) == {"general-meeting", "topical-forum", "executive-board"}
    assert [len(series[s].slots.all()) for s in ("general-meeting", "topical-forum")] == [3, 3]
    assert {slot.zone for slot in series["general-meeting"].slots.all()} == {
        "Asia/Tokyo",
        "Europe/Paris",
        "America/Chicago",
    }
    assert series["executive-board"].cadence == "explicit"
    assert Meeting.objects.count() == counts
    assert Meeting.objects.filter(notes_published=True, status="held").exists()
    assert Meeting.objects.filter(status="scheduled").count() >= 26


@pytest.mark.django_db
def test_extend_series_command(capsys):
    call_command("seed_demo")

    call_command("extend_series", "--at", "2099-01-01T00:00Z", "--series", "general-meeting")

    out = capsys.readouterr().out
    assert "general-meeting: 26 created, 0 moved, 0 cancelled" in out
