import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Attachment, Meeting
from meetings.rotation import iter_dst_changes
from tests.factories import CompanyFactory, MeetingFactory, SeriesFactory, SlotFactory

UTC = datetime.UTC
ROLES = ["anonymous", "participant", "coordinator", "executive", "chair"]


def soon(days=3, hour=13):
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    return base.replace(hour=hour) + datetime.timedelta(days=days)


@pytest.fixture
def public_series(db):
    series = SeriesFactory(
        name="General Meeting", slug="general", conference_link="https://meet.example.org/gm"
    )
    SlotFactory(series=series, weekday=1, local_time=datetime.time(14), zone="Europe/Paris")
    return series


@pytest.fixture
def board_series(db):
    series = SeriesFactory(
        name="Executive Board",
        slug="board",
        kind="board",
        audience="board",
        cadence="explicit",
        conference_link="https://meet.example.org/board-secret",
    )
    SlotFactory(series=series, zone="Europe/Paris")
    return series


@pytest.fixture
def meetings(public_series, board_series):
    upcoming = MeetingFactory(
        series=public_series,
        starts_at=soon(),
        ends_at=soon() + datetime.timedelta(hours=1),
        agenda="Public agenda",
        notes="Draft public notes",
        members_notes="Members only text",
    )
    past = MeetingFactory(
        series=public_series,
        starts_at=soon(-10),
        ends_at=soon(-10) + datetime.timedelta(hours=1),
        notes="Published notes",
        notes_published=True,
        status="held",
    )
    board = MeetingFactory(
        series=board_series,
        starts_at=soon(5),
        ends_at=soon(5) + datetime.timedelta(hours=1),
        agenda="Board agenda secret",
        notes="Board notes secret",
        notes_published=True,
    )
    return {"upcoming": upcoming, "past": past, "board": board}


def login_as(client, who, request, with_mfa):
    if who == "anonymous":
        return None
    user = request.getfixturevalue(who)
    if who == "chair":
        with_mfa(user)
    client.force_login(user)
    return user


# Visibility, every role on every page.


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "sees_board"),
    [
        ("anonymous", False),
        ("participant", False),
        ("coordinator", False),
        ("executive", True),
        ("chair", True),
    ],
)
def test_board_meeting_visibility_per_role(client, meetings, who, sees_board, request, with_mfa):
    login_as(client, who, request, with_mfa)
    board = meetings["board"]

    listing = client.get(reverse("meetings:list")).content.decode()
    detail = client.get(board.get_absolute_url())
    series = client.get(reverse("meetings:series-detail", args=["board"]))
    past = client.get(reverse("meetings:past")).content.decode()

    assert (board.get_absolute_url() in listing) is sees_board
    assert detail.status_code == (200 if sees_board else 404)
    assert series.status_code == (200 if sees_board else 404)
    assert "Board notes secret" not in past
    if sees_board:
        assert "Board agenda secret" in detail.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "sees_draft", "sees_members_notes", "sees_link"),
    [
        ("anonymous", False, False, False),
        ("participant", False, False, True),
        ("coordinator", True, True, True),
        ("executive", False, False, True),
        ("chair", True, True, True),
    ],
)
def test_public_meeting_notes_and_link_per_role(
    client, meetings, who, sees_draft, sees_members_notes, sees_link, request, with_mfa
):
    login_as(client, who, request, with_mfa)

    body = client.get(meetings["upcoming"].get_absolute_url()).content.decode()

    assert "Public agenda" in body
    assert ("Draft public notes" in body) is sees_draft
    assert ("Members only text" in body) is sees_members_notes
    assert ("https://meet.example.org/gm" in body) is sees_link


@pytest.mark.django_db
@pytest.mark.parametrize("who", ROLES)
def test_published_notes_visible_to_everyone(client, meetings, who, request, with_mfa):
    login_as(client, who, request, with_mfa)

    past = client.get(reverse("meetings:past")).content.decode()
    detail = client.get(meetings["past"].get_absolute_url()).content.decode()

    assert meetings["past"].get_absolute_url() in past
    assert "Published notes" in detail
    assert meetings["upcoming"].get_absolute_url() not in past


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("participant", 403),
        ("executive", 403),
        ("coordinator", 200),
        ("chair", 200),
    ],
)
def test_coordinators_area_per_role(client, meetings, who, expected, request, with_mfa):
    login_as(client, who, request, with_mfa)
    pk = meetings["upcoming"].pk

    statuses = {
        client.get(url).status_code
        for url in [
            reverse("meetings:manage"),
            reverse("meetings:series-create"),
            reverse("meetings:edit", args=[pk]),
            reverse("meetings:text-edit", args=[pk, "notes"]),
            reverse("meetings:attendance", args=[pk]),
            reverse("meetings:cancel", args=[pk]),
            reverse("meetings:attachments", args=[pk]),
        ]
    }

    assert statuses == {expected}


@pytest.mark.django_db
def test_coordinator_cannot_edit_board_meeting(client, meetings, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("meetings:edit", args=[meetings["board"].pk]))

    assert response.status_code == 404


# Times and zones.


@pytest.mark.django_db
def test_meeting_list_shows_viewer_and_slot_zone_times(client, public_series):
    meeting = MeetingFactory(
        series=public_series,
        slot=public_series.slots.get(),
        starts_at=datetime.datetime(2099, 7, 7, 12, tzinfo=UTC),
        ends_at=datetime.datetime(2099, 7, 7, 13, tzinfo=UTC),
    )
    client.cookies["lcoo_browser_tz"] = "Asia/Tokyo"

    body = client.get(reverse("meetings:list")).content.decode()

    assert meeting.get_absolute_url() in body
    assert '<time datetime="2099-07-07T12:00:00Z">Tue 7 Jul 2099, 21:00</time>' in body
    assert '<time datetime="2099-07-07T12:00:00Z">Tue 14:00 CEST</time>' in body
    assert "shown in <strong>Asia/Tokyo</strong>" in body


@pytest.mark.django_db
def test_every_time_in_pages_has_a_utc_datetime(client, meetings, coordinator):
    client.force_login(coordinator)
    urls = [
        reverse("meetings:list"),
        reverse("meetings:past"),
        meetings["upcoming"].get_absolute_url(),
        reverse("meetings:series-detail", args=["general"]),
        reverse("meetings:manage"),
    ]
    for url in urls:
        body = client.get(url).content.decode()
        stamps = re.findall(r'<time datetime="([^"]+)"', body)
        assert stamps, url
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?", s) for s in stamps), url


@pytest.mark.django_db
def test_filter_by_kind_and_series(client, meetings, public_series):
    forum = SeriesFactory(name="Forum", slug="forum", kind="forum")
    MeetingFactory(series=forum, starts_at=soon(2), ends_at=soon(2) + datetime.timedelta(hours=1))

    by_kind = client.get(reverse("meetings:list"), {"kind": "forum"}).context["meetings"]
    by_series = client.get(reverse("meetings:list"), {"series": "general"}).context["meetings"]

    assert [m.series.slug for m in by_kind] == ["forum"]
    assert {m.series.slug for m in by_series} == {"general"}


# Query counts do not grow with the number of meetings.


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def add_meetings(series, n, past=False):
    sign = -1 if past else 1
    for i in range(n):
        start = soon(sign * (i + 2))
        MeetingFactory(
            series=series,
            slot=series.slots.first(),
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            notes="n",
            notes_published=past,
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "pinned"),
    [("/meetings/", 3), ("/meetings/past/", 2), ("/meetings/series/general/", 8)],
)
def test_meeting_pages_queries_pinned_and_flat(
    client, public_series, url, pinned, django_assert_max_num_queries
):
    CompanyFactory(name="Orange", hq_timezone="Europe/Paris")
    add_meetings(public_series, 3)
    add_meetings(public_series, 3, past=True)
    small = count_queries(client, url)

    add_meetings(public_series, 40)
    add_meetings(public_series, 40, past=True)
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    with django_assert_max_num_queries(pinned):
        large = count_queries(client, url)

    assert large == small


# The coordinators' area at work.


@pytest.mark.django_db
def test_coordinator_creates_series_with_three_slots(client, coordinator, company):
    client.force_login(coordinator)
    data = {
        "name": "General Meeting",
        "slug": "",
        "kind": "general",
        "audience": "public",
        "cadence": "weekly",
        "interval": "2",
        "monthly_ordinal": "1",
        "anchor": "2026-01-05",
        "duration_minutes": "60",
        "conference_link": "",
        "mailing_list": "",
        "horizon_months": "12",
        "announce_days_ahead": "3",
        "is_active": "on",
        "dates": "",
        "slots-TOTAL_FORMS": "3",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "12",
        "slots-0-weekday": "1",
        "slots-0-local_time": "14:00",
        "slots-0-zone": "Europe/Paris",
        "slots-1-weekday": "2",
        "slots-1-local_time": "08:00",
        "slots-1-zone": "Asia/Tokyo",
        "slots-2-weekday": "1",
        "slots-2-local_time": "21:00",
        "slots-2-zone": "America/Los_Angeles",
    }

    preview = client.post(reverse("meetings:series-create"), data, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert not Meeting.objects.exists()
    assert "Preview: the next meetings" in preview.content.decode()

    saved = client.post(reverse("meetings:series-create"), data)

    assert saved.status_code == 302
    assert saved["Location"] == "/meetings/series/general-meeting/"
    zones = list(Meeting.objects.order_by("starts_at").values_list("slot__zone", flat=True)[:3])
    assert zones == ["Europe/Paris", "Asia/Tokyo", "America/Los_Angeles"]


@pytest.mark.django_db
def test_series_form_errors_keep_input_and_save_nothing(client, coordinator):
    client.force_login(coordinator)
    data = {
        "name": "Forum",
        "kind": "forum",
        "audience": "public",
        "cadence": "monthly",
        "interval": "0",
        "monthly_ordinal": "1",
        "anchor": "not a date",
        "duration_minutes": "90",
        "horizon_months": "12",
        "announce_days_ahead": "3",
        "dates": "2026-02-30",
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "12",
        "slots-0-weekday": "3",
        "slots-0-local_time": "14:00",
        "slots-0-zone": "Mars/Base",
    }

    response = client.post(reverse("meetings:series-create"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"interval", "anchor"}
    assert "zone" in response.context["slots"].forms[0].errors
    assert "line 1: &#x27;2026-02-30&#x27;" in body
    assert 'value="Forum"' in body


@pytest.mark.django_db
def test_coordinator_cannot_create_board_series(client, coordinator):
    client.force_login(coordinator)
    data = {
        "name": "Board",
        "kind": "board",
        "audience": "board",
        "cadence": "explicit",
        "interval": "1",
        "monthly_ordinal": "1",
        "anchor": "2026-01-05",
        "duration_minutes": "90",
        "horizon_months": "12",
        "announce_days_ahead": "3",
        "dates": "2026-05-01",
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "12",
        "slots-0-weekday": "3",
        "slots-0-local_time": "14:00",
        "slots-0-zone": "Europe/Paris",
    }

    response = client.post(reverse("meetings:series-create"), data)

    assert response.status_code == 400
    assert "audience" in response.context["form"].errors


@pytest.mark.django_db
def test_write_notes_publish_and_public_sees_them(client, coordinator, meetings):
    meeting = meetings["upcoming"]
    client.force_login(coordinator)
    page = client.get(reverse("meetings:text-edit", args=[meeting.pk, "notes"]))
    base = page.context["form"]["base_revision"].value()

    client.post(
        reverse("meetings:text-edit", args=[meeting.pk, "notes"]),
        {
            "text": "# Decisions\n\n<script>alert(1)</script>Agreed **this**.",
            "base_revision": base or "",
        },
    )
    client.post(reverse("meetings:publish", args=[meeting.pk]))
    client.logout()
    body = client.get(meeting.get_absolute_url()).content.decode()

    assert "<h1>Decisions</h1>" in body
    assert "<strong>this</strong>" in body
    assert "<script>alert" not in body


@pytest.mark.django_db
def test_concurrent_note_edit_keeps_both_texts(client, coordinator, chair, with_mfa, meetings):
    meeting = meetings["upcoming"]
    url = reverse("meetings:text-edit", args=[meeting.pk, "agenda"])
    services.save_note(
        meeting=meeting, field="agenda", text="v1", author=coordinator, base_revision_id=None
    )
    base = meeting.revisions.get().pk
    services.save_note(
        meeting=meeting, field="agenda", text="v2 by chair", author=chair, base_revision_id=base
    )
    client.force_login(coordinator)

    response = client.post(url, {"text": "my v2", "base_revision": base})

    body = response.content.decode()
    meeting.refresh_from_db()
    assert response.status_code == 409
    assert meeting.agenda == "v2 by chair"
    assert "my v2" in body
    assert "v2 by chair" in body


@pytest.mark.django_db
def test_history_and_diff(client, coordinator, meetings):
    meeting = meetings["upcoming"]
    first = services.save_note(
        meeting=meeting, field="notes", text="a\nb", author=coordinator, base_revision_id=None
    )
    second = services.save_note(
        meeting=meeting, field="notes", text="a\nc", author=coordinator, base_revision_id=first.pk
    )
    client.force_login(coordinator)

    response = client.get(
        reverse("meetings:text-history", args=[meeting.pk, "notes"]), {"rev": second.pk}
    )

    assert response.context["diff_rows"][-2:] == ["-b", "+c"]
    assert "<del>-b</del>" in response.content.decode()


@pytest.mark.django_db
def test_roll_call_marks_meeting_held_and_exports_csv(client, coordinator, meetings):
    meeting = meetings["past"]
    meeting.status = "scheduled"
    meeting.save()
    client.force_login(coordinator)

    client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {"people": [coordinator.pk], "guests": "=cmd|' /C calc'!A0, Evil Co\nGina, Orange"},
    )
    csv_text = client.get(reverse("meetings:attendance-csv", args=[meeting.pk])).content.decode()

    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert "Cora Coordinator,Orange,no" in csv_text
    assert "'=cmd" in csv_text


@pytest.mark.django_db
def test_cancel_with_reason_shows_on_page(client, coordinator, meetings):
    client.force_login(coordinator)
    meeting = meetings["upcoming"]

    empty = client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": ""})
    client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": "Public holiday"})

    meeting.refresh_from_db()
    assert empty.status_code == 400
    assert (meeting.status, meeting.cancel_reason) == ("cancelled", "Public holiday")
    assert "Public holiday" in client.get(meeting.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_edit_meeting_time_in_slot_zone(client, coordinator, meetings):
    client.force_login(coordinator)
    meeting = meetings["upcoming"]

    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        {
            "starts_at_0": "2099-03-31",
            "starts_at_1": "09:30",
            "starts_at_2": "Australia/Sydney",
            "duration_minutes": "45",
            "topic": "Moved",
            "conference_link": "",
        },
    )

    meeting.refresh_from_db()
    assert response.status_code == 302
    assert meeting.starts_at == datetime.datetime(2099, 3, 30, 22, 30, tzinfo=UTC)
    assert (meeting.duration, meeting.edited, meeting.revision) == (
        datetime.timedelta(minutes=45),
        True,
        1,
    )


# Attachments.


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_attachment_upload_checks_type_and_content(client, coordinator, meetings, media):
    client.force_login(coordinator)
    url = reverse("meetings:attachments", args=[meetings["upcoming"].pk])

    fake_pdf = client.post(url, {"title": "Slides", "file": SimpleUploadedFile("s.pdf", b"<html>")})
    script = client.post(url, {"title": "Run", "file": SimpleUploadedFile("x.html", b"<script>")})
    real = client.post(
        url, {"title": "Slides", "file": SimpleUploadedFile("s.pdf", b"%PDF-1.7 ...")}
    )

    assert (fake_pdf.status_code, script.status_code, real.status_code) == (400, 400, 302)
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.original_name) == ("application/pdf", "s.pdf")
    assert attachment.file.name.endswith(".pdf")
    assert "s.pdf" not in attachment.file.name


@pytest.mark.django_db
def test_board_attachment_hidden_from_others_and_served_safely(
    client, executive, coordinator, meetings, media
):
    attachment = Attachment.objects.create(
        meeting=meetings["board"],
        title="Budget",
        original_name="budget.pdf",
        content_type="application/pdf",
        size=9,
        file=SimpleUploadedFile("budget.pdf", b"%PDF-1.7\n"),
    )
    url = reverse("meetings:attachment", args=[attachment.pk])
    client.force_login(coordinator)
    hidden = client.get(url)
    client.force_login(executive)
    shown = client.get(url)

    assert hidden.status_code == 404
    assert shown.status_code == 200
    assert shown["Content-Disposition"].startswith("attachment")
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == b"%PDF-1.7\n"


@pytest.mark.django_db
def test_participation_page_and_csv(client, coordinator, meetings):
    services.record_attendance(
        meeting=meetings["past"], people=[coordinator], guests=[], recorded_by=coordinator
    )
    client.force_login(coordinator)

    page = client.get(reverse("meetings:participation"))
    csv_text = client.get(reverse("meetings:participation"), {"format": "csv"}).content.decode()

    assert [p.name for p in page.context["people"]] == ["Cora Coordinator"]
    assert "Orange,member,0,1,0,0,1" in csv_text


@pytest.mark.django_db
def test_dashboard_warns_of_dst_changes_ahead(client, coordinator, public_series):
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    client.force_login(coordinator)

    body = client.get(reverse("members:dashboard")).content.decode()

    # The Paris slot moves for Tokyo at Europe's next change, if it is within eight weeks.
    changes = list(
        iter_dst_changes(
            "Europe/Paris", timezone.now(), timezone.now() + datetime.timedelta(weeks=8)
        )
    )
    assert ("for NTT (Asia/Tokyo)" in body) is bool(changes)
    assert "Daylight-saving changes ahead" in body
