"""Every user-entered text goes through a corpus of XSS payloads and comes out inert in
pages, feeds, e-mails and the admin."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from meetings import announcements, services
from meetings.models import Attachment, Attendance
from members import joining
from members.models import Role
from tests.factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
    SubTeamFactory,
    SubTeamMembershipFactory,
    ToolLinkFactory,
)

from .inert import XSS_CORPUS, active_content, payload_markers


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def fill_everything(payload: str, chair, coordinator) -> dict:
    """Put the payload into every text field a user can write."""
    now = timezone.now().replace(microsecond=0)
    company = CompanyFactory(
        name=f"Co {payload}"[:200], slug="payload-co", description=payload, website=payload
    )
    person = PersonFactory(full_name=payload[:200], company=company, profile_public=True)
    RoleFactory(person=person, company=company, kind=Role.Kind.COORDINATOR)
    team = SubTeamFactory(
        name=f"Team {payload}"[:200], slug="payload-team", description=payload, lead=person
    )
    SubTeamMembershipFactory(sub_team=team, person=person)
    ToolLinkFactory(name=payload[:100], description=payload[:300], url=payload)
    series = SeriesFactory(
        name=f"Series {payload}"[:200], slug="payload-series", description=payload,
        conference_link=payload, mailing_list="list@example.org", announce_days_ahead=7,
    )  # fmt: skip
    slot = SlotFactory(series=series)
    meeting = MeetingFactory(
        series=series, slot=slot, starts_at=now + datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1, hours=1), topic=payload[:300],
        agenda=payload, notes=payload, members_notes=payload, notes_published=True,
    )  # fmt: skip
    cancelled = MeetingFactory(
        series=series,
        slot=slot,
        starts_at=now + datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=2, hours=1),
    )
    services.cancel_meeting(meeting=cancelled, reason=payload[:300])
    services.save_note(meeting=meeting, field="agenda", text=payload + " v2", author=coordinator,
                       base_revision_id=None)  # fmt: skip
    Attendance.objects.create(
        meeting=meeting, guest_name=payload[:200], guest_company=payload[:200]
    )
    Attachment.objects.create(
        meeting=meeting, title=payload[:200], original_name=payload[:255],
        content_type="application/pdf", size=9, file=SimpleUploadedFile("a.pdf", b"%PDF-1.7\n"),
    )  # fmt: skip
    application = joining.submit_application(
        company_name=f"Applicant {payload}"[:200], website="https://applicant.example.org",
        hq_timezone="UTC", contact_name=payload[:200], contact_email="contact@example.org",
        contact_role=payload[:200], interests=payload,
        coordinators=[(payload[:200], "c@example.org")], executive=(payload[:200], "e@example.org"),
    )  # fmt: skip
    joining.decline(application=application, actor=chair, reason=payload[:400])
    return {"company": company, "person": person, "series": series, "meeting": meeting,
            "application": application, "team": team}  # fmt: skip


def page_urls(objects) -> list[str]:
    meeting, series = objects["meeting"], objects["series"]
    return [
        "/", "/members/", "/members/payload-co/", f"/people/{objects['person'].pk}/",
        "/sub-teams/", "/sub-teams/payload-team/", "/tools/", "/meetings/", "/meetings/past/",
        meeting.get_absolute_url(), series.get_absolute_url(), "/dashboard/", "/dashboard/roles/",
        "/meetings/manage/", f"/meetings/manage/series/{series.slug}/",
        f"/meetings/manage/{meeting.pk}/", f"/meetings/manage/{meeting.pk}/text/agenda/",
        f"/meetings/manage/{meeting.pk}/text/agenda/history/"
        f"?rev={meeting.revisions.first().pk}",
        f"/meetings/manage/{meeting.pk}/attendance/", f"/meetings/manage/{meeting.pk}/deliveries/",
        "/meetings/manage/participation/", "/join/applications/",
        f"/join/applications/{objects['application'].pk}/",
        f"/join/status/{objects['application'].status_token}/",
    ]  # fmt: skip


ADMIN_MODELS = [
    ("members", "company"), ("members", "person"), ("members", "role"), ("members", "subteam"),
    ("members", "toollink"), ("members", "joinapplication"), ("meetings", "series"),
    ("meetings", "meeting"), ("meetings", "noterevision"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_CORPUS, ids=[f"payload{n}" for n in range(len(XSS_CORPUS))])
def test_payload_is_inert_in_pages_admin_feeds_and_mail(
    client, payload, chair, staff, coordinator, with_mfa, media, mail_server,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    objects = fill_everything(payload, chair, coordinator)
    client.force_login(with_mfa(chair))
    problems = {}

    for url in page_urls(objects):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        if found := active_content(body) + payload_markers(body):
            problems[url] = found

    client.force_login(with_mfa(staff))
    for app, model in ADMIN_MODELS:
        for url in [reverse(f"admin:{app}_{model}_changelist")]:
            body = client.get(url).content.decode()
            if found := active_content(body) + payload_markers(body):
                problems[url] = found
    changes = [
        (objects["company"], "members_company"),
        (objects["meeting"], "meetings_meeting"),
        (objects["application"], "members_joinapplication"),
    ]
    for obj, name in changes:
        url = reverse(f"admin:{name}_change", args=[obj.pk])
        body = client.get(url).content.decode()
        if found := active_content(body) + payload_markers(body):
            problems[url] = found

    feed = client.get(reverse("meetings:ical-feed"))
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"X-ALT-DESC" not in feed.content  # plain text only: no HTML for clients to render

    announcements.decide_due()
    announcements.deliver_pending()
    for received in mail_server.recorder.received:
        html = received.message.get_body(("html",)).get_content()
        if found := active_content(html) + payload_markers(html):
            problems[f"mail to {received.envelope_to}"] = found
    assert mail_server.recorder.received

    assert problems == {}


@pytest.mark.django_db
def test_safe_url_filter_drops_script_urls():
    from members.templatetags.portal import safe_url

    assert [safe_url(u) for u in ["https://a.example", "mailto:x@example.org",
            "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", ""]] == [
        "https://a.example", "mailto:x@example.org", "", "", "", ""]  # fmt: skip
