"""Every user-entered text goes through a corpus of XSS payloads and comes out inert in
pages, feeds, e-mails and the admin.

`fill_everything` puts a payload into every text field a user can write;
`test_corpus_covers_every_text_field` walks the models and fails for a text field
that is neither filled by it nor listed in NOT_USER_ENTERED with a reason.
"""

import datetime
import html
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agreements import services as agreement_services
from joining import services as joining
from meetings import announcements, notes, scheduling, sending
from meetings.models import Attachment, Attendance
from members import services as member_services
from members.models import Role, TimeZoneField, today
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
    SubTeamFactory,
    SubTeamMembershipFactory,
    ToolLinkFactory,
    TopicFactory,
)

from .inert import XSS_CORPUS, active_content, payload_markers

ATOM = "{http://www.w3.org/2005/Atom}"
APPS = ("members", "meetings", "joining", "agreements")

#: Text fields nobody types free text into, and why. Fields with choices (states,
#: kinds, time zones) are a fixed list and need no entry.
NOT_USER_ENTERED = {
    "members.Company.slug": "a slug: letters, digits and hyphens (SlugField)",
    "members.Person.email": "an e-mail address, validated: no markup fits (EmailField)",
    "members.Person.password": "a password hash",
    "members.SubTeam.slug": "a slug: letters, digits and hyphens (SlugField)",
    "joining.JoinApplication.contact_email": "an e-mail address, validated (EmailField)",
    "joining.JoinApplication.status_token": "a random token made by the portal",
    "joining.ProposedDelegate.email": "an e-mail address, validated (EmailField)",
    "joining.ApplicationEvent.from_state": "a state name written by the workflow",
    "meetings.Series.slug": "a slug: letters, digits and hyphens (SlugField)",
    "meetings.Series.mailing_list": "an e-mail address, validated (EmailField)",
    "meetings.Attachment.content_type": "chosen by AttachmentForm from its allowed types",
    "meetings.CalendarToken.token_hash": "the hash of a random token made by the portal",
    "meetings.Delivery.recipient": "an e-mail address of the portal's people or lists",
    "meetings.Delivery.last_error": "the SMTP server's error message",
    "meetings.Invitation.email": "an e-mail address, validated (EmailField)",
    "agreements.Topic.slug": "a slug: letters, digits and hyphens (SlugField)",
    "agreements.Agreement.slug": "a slug: letters, digits and hyphens (SlugField)",
    "agreements.ForumTopic.slug": "a slug made by the portal from the title",
    "agreements.HistoricalAgreement.slug": "a copy of Agreement.slug",
    "agreements.HistoricalPosition.history_change_reason": "a fixed text of the portal's",
    "agreements.HistoricalActionItem.history_change_reason": "a fixed text of the portal's "
    "(raised, edited, done…)",
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def fill_everything(payload: str, chair, coordinator) -> dict:
    """Put the payload into every text field a user can write."""
    objects = fill_members(payload)
    objects |= fill_meetings(payload, objects, chair=chair, coordinator=coordinator)
    objects |= fill_joining(payload, objects, chair=chair)
    objects |= fill_agreements(payload, objects, coordinator=coordinator)
    return objects


def fill_members(payload: str) -> dict:
    company = CompanyFactory(
        name=f"Co {payload}"[:200], slug="payload-co", description=payload, website=payload
    )
    person = PersonFactory(full_name=payload[:200], company=company, profile_public=True)
    RoleFactory(person=person, company=company, kind=Role.Kind.COORDINATOR, note=payload[:200])
    team = SubTeamFactory(
        name=f"Team {payload}"[:200], slug="payload-team", description=payload, lead=person
    )
    SubTeamMembershipFactory(sub_team=team, person=person)
    ToolLinkFactory(name=payload[:100], description=payload[:300], url=payload)
    chair = RoleFactory(kind=Role.Kind.CHAIR, company=None).person
    proposal = member_services.propose_role(
        company=company, person=person, kind=Role.Kind.EXECUTIVE, starts_on=today(),
        note=payload[:300], proposed_by=person,
    )  # fmt: skip
    member_services.decline_proposal(proposal=proposal, by=chair, note=payload[:300])
    former = CompanyFactory(name=f"Gone {payload}"[:200], slug="payload-gone")
    member_services.mark_company_former(company=former, left_on=today(), reason=payload[:300])
    return {"company": company, "person": person, "team": team}


def fill_meetings(payload: str, objects: dict, *, chair, coordinator) -> dict:
    now = timezone.now().replace(microsecond=0)
    day = datetime.timedelta(days=1)
    series = SeriesFactory(
        name=f"Series {payload}"[:200], slug="payload-series", description=payload,
        conference_link=payload, mailing_list="list@example.org", announce_days_ahead=7,
    )  # fmt: skip
    slot = SlotFactory(series=series)
    meeting = MeetingFactory(
        series=series, slot=slot, starts_at=now + day, ends_at=now + day * 1.05,
        topic=payload[:300], agenda=payload, notes=payload, members_notes=payload,
        notes_published=True, conference_link=payload,
    )  # fmt: skip
    held = MeetingFactory(
        series=series, slot=slot, starts_at=now - 7 * day, ends_at=now - 7 * day + day * 0.05,
        status="held", notes_published=True,
    )  # fmt: skip
    cancelled = MeetingFactory(
        series=series, slot=slot, starts_at=now + 2 * day, ends_at=now + 2 * day + day * 0.05
    )
    scheduling.cancel_meeting(meeting=cancelled, reason=payload[:300])
    ended = SeriesFactory(name="Ended series", slug="ended-series")
    SlotFactory(series=ended)
    scheduling.end_series(series=ended, from_instant=now, reason=payload[:300], by=chair)
    notes.save_note(meeting=meeting, field="agenda", text=payload + " v2", author=coordinator,
                       base_revision_id=None)  # fmt: skip
    Attendance.objects.create(
        meeting=meeting, guest_name=payload[:200], guest_company=payload[:200]
    )
    Attachment.objects.create(
        meeting=meeting, title=payload[:200], original_name=payload[:255],
        content_type="application/pdf", size=9, file=SimpleUploadedFile("a.pdf", b"%PDF-1.7\n"),
    )  # fmt: skip
    board_series = SeriesFactory(
        name="Executive Board", slug="payload-board", kind="board", audience="board",
        cadence="explicit", conference_link="https://meet.example.org/board",
    )  # fmt: skip
    board = MeetingFactory(
        series=board_series, starts_at=now + 3 * day, ends_at=now + 3 * day + day * 0.05,
        agenda=payload,
    )  # fmt: skip
    return {"series": series, "meeting": meeting, "held": held, "board": board}


def fill_joining(payload: str, objects: dict, *, chair) -> dict:
    """An application taken to its welcome at the board (which invites its executive by
    name), and a second one declined: every text of the procedure and its mails. (A
    declined application takes its invitation back, so the first one stays open.)"""
    applications = []
    for n in range(2):
        application = joining.submit_application(
            company_name=f"Applicant {n} {payload}"[:200], website=payload,
            hq_timezone="UTC", contact_name=payload[:200], contact_email=f"contact{n}@example.org",
            contact_role=payload[:200], interests=payload,
            coordinators=[(payload[:200], f"c{n}@example.org")],
            executive=(payload[:200], f"e{n}@example.org"),
        )  # fmt: skip
        joining.confirm_email(token=joining.confirmation_token(application))
        joining.mark_participating(application=application, actor=chair, note=payload)
        joining.record_desire(
            application=application, meeting=objects["held"], actor=chair, note=payload
        )
        applications.append(application)
    joining.decline(application=applications[1], actor=chair, reason=payload[:400])
    for application in applications:
        application.refresh_from_db()
    return {"application": applications[1], "scheduled": applications[0]}


def fill_agreements(payload: str, objects: dict, *, coordinator) -> dict:
    topic = TopicFactory(name=payload[:100], slug="payload-topic", description=payload[:300])
    agreement = AgreementFactory(
        title=payload[:200], slug="payload-agreement", summary=payload[:1000], body=payload,
        proposing_company=objects["company"], proposed_by=objects["person"],
    )  # fmt: skip
    agreement.topics.add(topic)
    agreement_services.change_agreement_status(
        agreement=agreement, status="in-discussion", actor=coordinator, note=payload[:100]
    )
    agreement_services.record_position(
        agreement=agreement, company=objects["company"], stance="objects", actor=coordinator,
        comment=payload[:500],
    )  # fmt: skip
    item = ActionItemFactory(
        title=payload[:300], owner=objects["person"], raised_at=objects["meeting"],
        agreement=agreement,
    )  # fmt: skip
    forum_topic = agreement_services.propose_forum_topic(
        title=payload[:200], description=payload, company=objects["company"], actor=coordinator
    )
    return {"agreement": agreement, "action_item": item, "forum_topic": forum_topic}


def page_urls(objects) -> list[str]:
    meeting, series, agreement = objects["meeting"], objects["series"], objects["agreement"]
    topic = objects["forum_topic"]
    return [
        "/", "/members/", "/members/payload-co/", f"/people/{objects['person'].pk}/",
        "/sub-teams/", "/sub-teams/payload-team/", "/tools/", "/meetings/", "/meetings/past/",
        meeting.get_absolute_url(), objects["board"].get_absolute_url(),
        series.get_absolute_url(), "/dashboard/", "/dashboard/roles/",
        "/meetings/manage/", f"/meetings/manage/series/{series.slug}/",
        f"/meetings/manage/{meeting.pk}/", f"/meetings/manage/{meeting.pk}/text/agenda/",
        "/meetings/series/ended-series/", "/meetings/manage/series/ended-series/end/",
        f"/meetings/manage/{meeting.pk}/text/agenda/history/"
        f"?rev={meeting.revisions.first().pk}",
        f"/meetings/manage/{meeting.pk}/attendance/", f"/meetings/manage/{meeting.pk}/deliveries/",
        "/meetings/manage/participation/", "/join/applications/",
        f"/join/applications/{objects['application'].pk}/",
        f"/join/status/{objects['application'].status_token}/",
        "/agreements/", "/agreements/?q=xss", agreement.get_absolute_url(),
        f"/agreements/{agreement.slug}/edit/", f"/agreements/{agreement.slug}/status/",
        f"/agreements/{agreement.slug}/position/", "/agreements/new/",
        "/agreements/action-items/", f"/agreements/action-items/{objects['action_item'].pk}/edit/",
        "/agreements/action-items/new/", "/agreements/forum-topics/", topic.get_absolute_url(),
        f"/agreements/forum-topics/{topic.slug}/edit/",
        f"/agreements/forum-topics/{topic.slug}/assign/", "/agreements/companies/payload-co/",
        "/dashboard/roles/proposals/", "/my-company/payload-co/", "/members/payload-co/leave/",
        "/members/payload-co/roles/replace/", "/members/payload-gone/",
        "/sub-teams/payload-team/edit/",
    ]  # fmt: skip


def admin_urls() -> list[str]:
    """Every changelist of the portal's models in the admin, and the change page of the
    first object of each that holds a payload."""
    urls = []
    for model in admin.site._registry:
        if model._meta.app_label not in APPS:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        holds_payload = Q()
        for field in text_fields(model):
            holds_payload |= Q(**{f"{field.name}__contains": "xss-"})
        obj = model._default_manager.filter(holds_payload).order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"{name}_change", args=[obj.pk]))
    return urls


def atom_summaries(content: bytes) -> list[str]:
    """What a feed reader renders as HTML: the summaries of type "html"."""
    root = ET.fromstring(content)  # noqa: S314 - our own feed, not untrusted input
    return [
        summary.text or ""
        for summary in root.iter(f"{ATOM}summary")
        if summary.get("type") == "html"
    ]


def mail_problems(message) -> list[str]:
    """Mail clients render text/html parts: those must be inert; other parts must be
    types no client runs."""
    problems = []
    for part in message.walk():
        kind = part.get_content_type()
        if part.is_multipart():
            continue
        if kind == "text/html":
            body = part.get_content()
            problems += active_content(body) + payload_markers(body)
        elif kind not in ("text/plain", "text/calendar", "application/ics"):
            problems.append(f"a {kind} part")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_CORPUS, ids=[f"payload{n}" for n in range(len(XSS_CORPUS))])
def test_payload_is_inert_in_pages_admin_feeds_and_mail(
    client, payload, chair, staff, coordinator, with_mfa, media, mail_server,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # The mails of the join procedure are sent once the transactions commit.
    with django_capture_on_commit_callbacks(execute=True):
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
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        if found := active_content(body) + payload_markers(body):
            problems[url] = found

    client.logout()
    feed = client.get(reverse("meetings:ical-feed"))
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"X-ALT-DESC" not in feed.content  # plain text only: no HTML for clients to render
    atom = client.get(reverse("agreements:feed"))
    summaries = atom_summaries(atom.content)
    for summary in summaries:
        if found := active_content(summary) + payload_markers(summary):
            problems["/agreements/feed.atom"] = found
    # The summary reaches readers as it was typed, as text.
    assert html.unescape(summaries[0]) == objects["agreement"].summary

    announcements.decide_due()
    sending.deliver_pending()
    subjects = set()
    for received in mail_server.recorder.received:
        message = received.message
        subjects.add(message["Subject"].split(":")[0])
        if found := mail_problems(message):
            problems[f"mail {message['Subject']!r} to {received.envelope_to}"] = found
    assert {"[LCOO] Your application", "[LCOO] Invitation"} <= subjects

    assert problems == {}


def text_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
    ]


@pytest.mark.django_db
def test_corpus_covers_every_text_field(
    chair, coordinator, media, django_capture_on_commit_callbacks
):
    payload = XSS_CORPUS[0]
    with django_capture_on_commit_callbacks(execute=True):
        fill_everything(payload, chair, coordinator)
    uncovered, listed_but_filled, seen = [], [], set()

    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for field in text_fields(model):
                if field.choices or isinstance(field, TimeZoneField):
                    continue  # a fixed list of values (zones: validated against the list)
                name = f"{model._meta.label}.{field.name}"
                seen.add(name)
                filled = model._default_manager.filter(
                    **{f"{field.name}__contains": payload}
                ).exists()
                if not filled and name not in NOT_USER_ENTERED:
                    uncovered.append(name)
                if filled and name in NOT_USER_ENTERED:
                    listed_but_filled.append(name)

    # A field here: have fill_everything put the payload into it (and page_urls show
    # it), or list it in NOT_USER_ENTERED with the reason nobody types into it.
    assert uncovered == []
    assert listed_but_filled == []
    assert sorted(NOT_USER_ENTERED.keys() - seen) == []  # no stale entries


@pytest.mark.django_db
def test_atom_feed_summary_is_escaped_html(client):
    AgreementFactory(title="Markup", slug="markup", summary='<img src=x onerror=alert("s")> & co')

    response = client.get(reverse("agreements:feed"))
    summaries = atom_summaries(response.content)

    assert summaries == ["&lt;img src=x onerror=alert(&quot;s&quot;)&gt; &amp; co"]
    assert active_content(summaries[0]) == []


@pytest.mark.django_db
def test_safe_url_filter_drops_script_urls():
    from lcoo.templatetags.portal import safe_url

    assert [safe_url(u) for u in ["https://a.example", "mailto:x@example.org",
            "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", ""]] == [
        "https://a.example", "mailto:x@example.org", "", "", "", ""]  # fmt: skip
