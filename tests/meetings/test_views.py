import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import attendance, dst, notes, planner, scheduling
from meetings.models import Attachment, Meeting
from meetings.rotation import Slot, iter_dst_changes
from meetings.views import public
from members.permissions import compute_access
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


TIME_ELEMENT = re.compile(r"<time\b[^>]*>.*?</time>", re.DOTALL)
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
DATE_OR_TIME = re.compile(
    rf"\b\d{{1,2}}:\d{{2}}\b"  # 14:00
    rf"|\b\d{{4}}-\d{{2}}-\d{{2}}"  # 2026-12-03
    rf"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? \d{{1,2}} {MONTH}"  # Mon 3 Dec
    rf"|\b\d{{1,2}} {MONTH}\b"  # 3 Dec
    rf"|\b{MONTH} \d{{1,2}}\b"  # Dec 3
)


def visible_text(body):
    """What a reader sees of the page, leaving out every <time> element."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    body = TIME_ELEMENT.sub(" ", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def busy_meetings(meetings, public_series, coordinator):
    """The meetings, with a Tokyo member company, note revisions, attendance and a second
    slot, so that every part of the pages that shows a time has one to show."""
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    SlotFactory(series=public_series, weekday=3, local_time=datetime.time(21), zone="Asia/Tokyo")
    scheduling.extend_series(series=public_series)
    meeting = meetings["upcoming"]
    first = notes.save_note(
        meeting=meeting, field="agenda", text="a", author=coordinator, base_revision_id=None
    )
    notes.save_note(
        meeting=meeting, field="agenda", text="a\nb", author=coordinator, base_revision_id=first.pk
    )
    attendance.record_attendance(
        meeting=meetings["past"], people=[coordinator], guests=[], recorded_by=coordinator
    )
    return meetings


@pytest.mark.django_db
def test_every_date_and_time_shown_is_in_a_time_element_with_the_utc_instant(
    client, busy_meetings, coordinator
):
    client.force_login(coordinator)
    upcoming, past = busy_meetings["upcoming"], busy_meetings["past"]
    revision = upcoming.revisions.first()
    urls = [
        reverse("meetings:list"),
        reverse("meetings:past"),
        upcoming.get_absolute_url(),
        past.get_absolute_url(),
        reverse("meetings:series-detail", args=["general"]),
        reverse("meetings:manage"),
        reverse("meetings:participation"),
        reverse("meetings:series-edit", args=["general"]),
        reverse("meetings:edit", args=[upcoming.pk]),
        reverse("meetings:text-edit", args=[upcoming.pk, "notes"]),
        reverse("meetings:text-history", args=[upcoming.pk, "agenda"]),
        reverse("meetings:text-history", args=[upcoming.pk, "agenda"]) + f"?rev={revision.pk}",
        reverse("meetings:attendance", args=[past.pk]),
        reverse("meetings:cancel", args=[upcoming.pk]),
        reverse("meetings:attachments", args=[upcoming.pk]),
        reverse("meetings:deliveries", args=[upcoming.pk]),
    ]
    without_times = []
    for url in urls:
        response = client.get(url)
        body = response.content.decode()
        stamps = re.findall(r'<time datetime="([^"]+)"', body)

        assert response.status_code == 200, url
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps), url
        assert DATE_OR_TIME.findall(visible_text(body)) == [], url
        if not stamps:
            without_times.append(url)

    # The forms that show no time at all.
    assert without_times == [
        reverse("meetings:edit", args=[upcoming.pk]),
        reverse("meetings:attachments", args=[upcoming.pk]),
    ]


@pytest.mark.django_db
def test_explicit_dates_show_the_instant_each_day_begins_in_its_slots_zone(
    client, board_series, chair, with_mfa
):
    SlotFactory(series=board_series, zone="America/New_York")
    for day in (datetime.date(2026, 11, 5), datetime.date(2026, 5, 1)):
        board_series.dates.create(date=day)
    client.force_login(with_mfa(chair))

    body = client.get(board_series.get_absolute_url()).content.decode()

    # The first date is in the first slot's zone (Paris), the second in New York's.
    assert (
        '<p>Dates: <time datetime="2026-04-30T22:00:00Z">1 May 2026</time>, '
        '<time datetime="2026-11-05T05:00:00Z">5 Nov 2026</time></p>'
    ) in body
    assert DATE_OR_TIME.findall(visible_text(body)) == []


def test_visible_text_check_finds_times_outside_time_elements():
    body = (
        '<p><time datetime="2026-12-03T13:00:00Z">Thu 3 Dec 2026, 14:00</time> '
        '<span class="visually-hidden">saved 2026-12-03 at 13:00</span> '
        "Tue 14:00 Europe/Paris, from Mon 3 Dec, 5 Jan 2027 and Dec 3</p>"
    )

    assert DATE_OR_TIME.findall(visible_text(body)) == [
        "2026-12-03",
        "13:00",
        "14:00",
        "Mon 3 Dec",
        "5 Jan",
        "Dec 3",
    ]


@pytest.mark.django_db
def test_filter_by_kind_and_series(client, meetings, public_series):
    forum = SeriesFactory(name="Forum", slug="forum", kind="forum")
    MeetingFactory(series=forum, starts_at=soon(2), ends_at=soon(2) + datetime.timedelta(hours=1))

    by_kind = client.get(reverse("meetings:list"), {"kind": "forum"}).context["meetings"]
    by_series = client.get(reverse("meetings:list"), {"series": "general"}).context["meetings"]

    assert [m.series.slug for m in by_kind] == ["forum"]
    assert {m.series.slug for m in by_series} == {"general"}


# Query counts do not grow with the number of meetings.


#: A logged-in coordinator's series page: session, user, roles; the series, its slots and
#: dates; its next meetings; the member companies, for the fairness table and for the DST
#: warnings; overlaps (its meetings, the others); the planner's zones (headquarters, people).
PINNED_COORDINATOR_SERIES_PAGE = 13


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
    meeting = meetings["past"]
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
    notes.save_note(
        meeting=meeting, field="agenda", text="v1", author=coordinator, base_revision_id=None
    )
    base = meeting.revisions.get().pk
    notes.save_note(
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
    meeting = meetings["past"]
    first = notes.save_note(
        meeting=meeting, field="notes", text="a\nb", author=coordinator, base_revision_id=None
    )
    second = notes.save_note(
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
    attendance.record_attendance(
        meeting=meetings["past"], people=[coordinator], guests=[], recorded_by=coordinator
    )
    client.force_login(coordinator)

    page = client.get(reverse("meetings:participation"))
    csv_text = client.get(reverse("meetings:participation"), {"format": "csv"}).content.decode()

    assert [p.name for p in page.context["people"]] == ["Cora Coordinator"]
    # A coordinator who may not see the board gets no board column (see test_abuse).
    assert csv_text.splitlines()[0] == (
        "company,status,Topical Forum,General Meeting,Sub-team meeting,total"
    )
    assert "Orange,member,0,1,0,1" in csv_text


@pytest.mark.django_db
def test_dashboard_warns_of_dst_changes_ahead(client, coordinator, public_series):
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    client.force_login(coordinator)

    body = client.get(reverse("portal:dashboard")).content.decode()

    # The Paris slot moves for Tokyo at Europe's next change, if it is within eight weeks.
    changes = list(
        iter_dst_changes(
            "Europe/Paris", timezone.now(), timezone.now() + datetime.timedelta(weeks=8)
        )
    )
    assert ("for NTT (Asia/Tokyo)" in body) is bool(changes)
    assert "Daylight-saving changes ahead" in body


# The series page as of a given day.


@pytest.fixture
def tokyo_mornings(company, other_company):
    """Wednesday 09:00 in Tokyo, weekly from March 2026: 01:00 in Paris, then 02:00 once
    Europe moves its clocks on 29 March. The member companies are Orange (Paris) and
    NTT (Tokyo)."""
    series = SeriesFactory(
        name="Tokyo Mornings", slug="tokyo-mornings", anchor=datetime.date(2026, 3, 2), interval=1
    )
    SlotFactory(series=series, weekday=2, local_time=datetime.time(9), zone="Asia/Tokyo")
    scheduling.extend_series(series=series, now=MARCH_1)
    return series


MARCH_1 = datetime.datetime(2026, 3, 1, tzinfo=UTC)


def series_page_as_of(rf, series, person, now):
    request = rf.get(series.get_absolute_url())
    request.user = person
    context = public.series_page(series, access=compute_access(person), now=now)
    return context, render_to_string("meetings/series_detail.html", context, request=request)


@pytest.mark.django_db
def test_series_page_fairness_cells_show_local_time_and_comfort(rf, coordinator, tokyo_mornings):
    context, body = series_page_as_of(rf, tokyo_mornings, coordinator, MARCH_1)

    rows = [
        (row["company"].name, [(f"{c['local']:%a %H:%M}", c["label"]) for c in row["cells"]])
        for row in context["fairness"]["rows"]
    ]
    assert rows == [
        ("NTT", [("Wed 09:00", "office hours")] * 8),
        ("Orange", [("Wed 01:00", "night")] * 4 + [("Wed 02:00", "night")] * 4),
    ]
    assert [row["night_share"] for row in context["fairness"]["rows"]] == [0.0, 1.0]
    assert (
        '<td class="comfort comfort-night"><time datetime="2026-03-04T00:00:00Z">Wed 01:00</time>'
        '<span class="comfort-label"> night</span></td>'
    ) in body
    assert (
        '<td class="comfort comfort-night"><time datetime="2026-04-01T00:00:00Z">Wed 02:00</time>'
        '<span class="comfort-label"> night</span></td>'
    ) in body
    assert (
        '<td class="comfort comfort-ok"><time datetime="2026-03-04T00:00:00Z">Wed 09:00</time>'
        '<span class="comfort-label"> office hours</span></td>'
    ) in body


@pytest.mark.django_db
def test_series_page_shows_the_planners_suggestion(rf, coordinator, tokyo_mornings):
    context, body = series_page_as_of(rf, tokyo_mornings, coordinator, MARCH_1)

    current, suggested = context["current_plan"], context["suggested_plan"]
    assert context["planner_zones"] == ["Asia/Tokyo", "Europe/Paris"]
    assert (current.slots, current.worst_night_share, current.total_off_hours) == (
        (Slot(2, datetime.time(9), "Asia/Tokyo"),),
        1.0,
        1.0,
    )
    # 07:00 UTC: 16:00 in Tokyo, 08:00 in Paris in winter and 09:00 in summer.
    assert (suggested.slots, suggested.worst_night_share, suggested.total_off_hours) == (
        (Slot(2, datetime.time(7), "UTC"),),
        0.0,
        0.0,
    )
    suggested_row = body.split('<th scope="row">Suggested</th>')[1].split("</tr>")[0]
    assert re.fullmatch(
        r'<td><time datetime="[-\dT:]+Z">Wed 07:00</time> UTC</td><td>0%</td><td>0\.0</td>',
        suggested_row,
    )


@pytest.mark.django_db
def test_series_page_warns_of_the_dst_change_ahead(rf, coordinator, tokyo_mornings):
    context, body = series_page_as_of(rf, tokyo_mornings, coordinator, MARCH_1)

    warnings = [(w.company, w.change_at, w.before, w.after) for w in context["dst_warnings"]]
    assert warnings == [
        ("Orange", datetime.datetime(2026, 3, 29, 1, tzinfo=UTC), "Wed 01:00", "Wed 02:00")
    ]
    assert (
        ' Asia/Tokyo moves from <time datetime="2026-03-25T00:00:00Z">Wed 01:00</time> to '
        '<time datetime="2026-04-01T00:00:00Z">Wed 02:00</time> for Orange (Europe/Paris).'
    ) in body
    assert (
        'From <time datetime="2026-03-29T01:00:00Z">29 Mar 2026</time>, the slot '
        '<time datetime="2026-03-25T00:00:00Z">Wed 09:00</time> Asia/Tokyo moves from'
    ) in body
    assert DATE_OR_TIME.findall(visible_text(body)) == []


@pytest.mark.django_db
def test_series_page_has_no_dst_warning_when_no_change_is_ahead(rf, coordinator, tokyo_mornings):
    context, body = series_page_as_of(
        rf, tokyo_mornings, coordinator, datetime.datetime(2026, 5, 1, tzinfo=UTC)
    )

    assert context["dst_warnings"] == []
    assert "Daylight-saving changes ahead" not in body


@pytest.mark.django_db
def test_planner_answer_is_cached_under_slots_zones_and_k(tokyo_mornings):
    slots = tokyo_mornings.rotation_slots()
    asked = {
        "slots": slots,
        "zones": ["Asia/Tokyo", "Europe/Paris"],
        "duration": datetime.timedelta(hours=1),
        "reference": datetime.date(2026, 3, 1),
    }
    first = planner.planner_comparison(**asked)
    key = planner.planner_cache_key(**asked)
    cache_entry = cache.get(key)
    cache.set(key, {"current_plan": "kept", "suggested_plan": "kept"})

    again = planner.planner_comparison(**asked)
    other_zones = planner.planner_cache_key(**{**asked, "zones": ["Asia/Tokyo"]})
    other_slots = planner.planner_cache_key(
        **{**asked, "slots": [Slot(2, datetime.time(10), "Asia/Tokyo")]}
    )
    two_slots = planner.planner_cache_key(**{**asked, "slots": slots * 2})

    assert cache_entry == {
        "current_plan": first["current_plan"],
        "suggested_plan": first["suggested_plan"],
    }
    assert (again["current_plan"], again["suggested_plan"]) == ("kept", "kept")
    assert len({key, other_zones, other_slots, two_slots}) == 4
    assert planner.PLANNER_CACHE_SECONDS == 3600


@pytest.mark.django_db
def test_planner_suggests_nothing_beyond_its_cap_of_slots(tokyo_mornings):
    slots = [Slot(2, datetime.time(hour), "Asia/Tokyo") for hour in range(9, 14)]

    answer = planner.planner_comparison(
        slots=slots,
        zones=["Asia/Tokyo", "Europe/Paris"],
        duration=datetime.timedelta(hours=1),
        reference=datetime.date(2026, 3, 1),
    )

    assert len(slots) == answer["planner_max_slots"] + 1
    assert answer["suggested_plan"] is None
    assert answer["current_plan"].slots == tuple(slots)


# What coordinators see of board meetings: nothing, unless they are chairs or executives.


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"), [("coordinator", 404), ("executive", 403), ("chair", 200)]
)
def test_board_series_edit_page_per_role(client, meetings, who, expected, request, with_mfa):
    login_as(client, who, request, with_mfa)

    response = client.get(reverse("meetings:series-edit", args=["board"]))

    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "sees_board"), [("coordinator", False), ("chair", True)])
def test_manage_home_lists_board_items_for_chairs_only(
    client, meetings, who, sees_board, request, with_mfa
):
    login_as(client, who, request, with_mfa)

    body = client.get(reverse("meetings:manage")).content.decode()

    assert ("Executive Board" in body) is sees_board
    assert (reverse("meetings:series-edit", args=["board"]) in body) is sees_board
    assert (meetings["board"].get_absolute_url() in body) is sees_board
    assert meetings["upcoming"].get_absolute_url() in body


@pytest.fixture
def board_slot_in_paris(board_series, other_company):
    """The board meets at 10:00 in Paris, which moves in Tokyo when Europe changes clocks."""
    board_series.slots.update(weekday=3, local_time=datetime.time(10))
    board_series.cadence = "weekly"
    board_series.save()
    return board_series


@pytest.mark.django_db
def test_dashboard_dst_warnings_of_board_series_for_chairs_only(
    client, coordinator, chair, with_mfa, board_slot_in_paris
):
    coordinating = dst.dst_warnings_for_series_visible_to(compute_access(coordinator), now=MARCH_1)
    chairing = dst.dst_warnings_for_series_visible_to(compute_access(chair), now=MARCH_1)
    client.force_login(coordinator)
    coordinator_page = client.get(reverse("portal:dashboard")).content.decode()
    client.force_login(with_mfa(chair))
    chair_page = client.get(reverse("portal:dashboard")).content.decode()

    assert coordinating == []
    assert [(s.slug, [(w.company, w.before, w.after) for w in ws]) for s, ws in chairing] == [
        ("board", [("NTT", "Thu 18:00", "Thu 17:00")])
    ]
    # Today's warnings, if any change is near: the board series is in the chair's only.
    shown_today = bool(dst.dst_warnings(series=board_slot_in_paris))
    assert board_slot_in_paris.get_absolute_url() not in coordinator_page
    assert (board_slot_in_paris.get_absolute_url() in chair_page) is shown_today


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), [("coordinator", 404), ("chair", 200)])
def test_board_meeting_text_history_per_role(
    client, meetings, chair, who, expected, request, with_mfa
):
    board = meetings["board"]
    notes.save_note(
        meeting=board, field="agenda", text="Budget", author=chair, base_revision_id=None
    )
    login_as(client, who, request, with_mfa)

    response = client.get(reverse("meetings:text-history", args=[board.pk, "agenda"]))

    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), [("coordinator", 404), ("chair", 200)])
def test_board_meeting_attendance_csv_per_role(
    client, meetings, executive, who, expected, request, with_mfa
):
    board = meetings["board"]
    attendance.record_attendance(
        meeting=board,
        people=[executive],
        guests=[],
        recorded_by=executive,
        now=board.starts_at,
    )
    login_as(client, who, request, with_mfa)

    response = client.get(reverse("meetings:attendance-csv", args=[board.pk]))

    assert response.status_code == expected
    if expected == 200:
        assert "Eve Executive,Orange,no" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "sees"), [("anonymous", False), ("participant", True)])
def test_attendance_hidden_from_anonymous_visitors(
    client, meetings, coordinator, who, sees, request, with_mfa
):
    past = meetings["past"]
    attendance.record_attendance(
        meeting=past,
        people=[coordinator],
        guests=[("Gina Guest", "Orange")],
        recorded_by=coordinator,
    )
    login_as(client, who, request, with_mfa)

    body = client.get(past.get_absolute_url()).content.decode()

    assert ('id="attendance-heading"' in body) is sees
    assert ("Gina Guest" in body) is sees
    assert ("Cora Coordinator" in body) is sees


# Query counts of a coordinator's series page.


@pytest.mark.django_db
def test_coordinators_series_page_queries_pinned_and_flat(
    client, coordinator, public_series, django_assert_max_num_queries
):
    url = reverse("meetings:series-detail", args=["general"])
    add_meetings(public_series, 1)
    client.force_login(coordinator)
    one = count_queries(client, url)

    add_meetings(public_series, 40)
    CompanyFactory(name="NTT", hq_timezone="Asia/Tokyo")
    with django_assert_max_num_queries(PINNED_COORDINATOR_SERIES_PAGE):
        many = count_queries(client, url)

    assert many == one


# Kind defaults.


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "initial"),
    [
        ("forum", ("monthly", 1, 90, "public")),
        ("general", ("weekly", 2, 60, "public")),
        ("board", ("explicit", 1, 90, "board")),
    ],
)
def test_new_series_form_starts_from_the_kinds_defaults(client, chair, with_mfa, kind, initial):
    client.force_login(with_mfa(chair))

    form = client.get(reverse("meetings:series-create"), {"kind": kind}).context["form"]

    values = tuple(
        form[name].value() for name in ("cadence", "interval", "duration_minutes", "audience")
    )
    assert (form["kind"].value(), values) == (kind, initial)
