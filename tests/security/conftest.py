"""Fixtures of the security tests."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from joining import services as joining
from lcoo.models import GroupProfile
from meetings import notes
from meetings.models import Attachment, Attendance, CalendarToken
from members.models import Company, Role, RoleProposal
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CompanyFactory,
    ForumTopicFactory,
    MeetingFactory,
    PersonFactory,
    PositionFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
    SubTeamFactory,
    SubTeamMembershipFactory,
    ToolLinkFactory,
    TopicFactory,
)


@pytest.fixture
def world(company, other_company, settings, tmp_path, with_mfa) -> dict[str, str]:
    """One of everything a URL can name, and the path arguments naming them."""
    settings.MEDIA_ROOT = tmp_path
    soon = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    applicant = CompanyFactory(
        name="Applicant Co", slug="applicant-co", status=Company.Status.APPLICANT, joined_on=None
    )
    public_person = PersonFactory(full_name="Paula Public", company=company, profile_public=True)
    private_person = PersonFactory(full_name="Ivy Private", profile_public=False)
    role = RoleFactory(person=private_person, kind=Role.Kind.CONTRIBUTOR, company=None)
    with_mfa(private_person)  # an authenticator for the admin's pages
    team = SubTeamFactory(name="Edge SIG", slug="edge-sig", lead=private_person)
    SubTeamMembershipFactory(sub_team=team, person=private_person)
    ToolLinkFactory()
    RoleProposal.objects.create(
        company=company, person=public_person, kind="coordinator", starts_on=soon.date()
    )
    Group.objects.create(name="Editors")

    series = SeriesFactory(
        name="General Meeting", slug="general-meeting", kind="general",
        conference_link="https://meet.example.org/general-room",
    )  # fmt: skip
    SlotFactory(series=series, zone="Europe/Paris")
    board_series = SeriesFactory(
        name="Executive Board", slug="executive-board", kind="board", audience="board",
        cadence="explicit", conference_link="https://meet.example.org/board-secret",
    )  # fmt: skip
    meeting = MeetingFactory(
        series=series, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1),
        agenda="Agenda", notes="Notes", members_notes="members-notes-secret",
        notes_published=True,
    )  # fmt: skip
    draft = MeetingFactory(
        series=series, starts_at=soon - datetime.timedelta(days=14),
        ends_at=soon - datetime.timedelta(days=14, hours=-1), notes="draft-notes-secret",
    )  # fmt: skip
    board_meeting = MeetingFactory(
        series=board_series, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1),
        topic="board-topic-secret", agenda="board-agenda-secret", notes="board-notes-secret",
        notes_published=True,
    )  # fmt: skip
    meeting.presenters.add(private_person)
    Attendance.objects.create(meeting=meeting, person=private_person, company=company)
    Attendance.objects.create(meeting=board_meeting, person=public_person, company=company)
    notes.save_note(
        meeting=meeting, field="agenda", text="Agenda v2", author=public_person,
        base_revision_id=None,
    )  # fmt: skip
    attachments = {
        key: Attachment.objects.create(
            meeting=on,
            title="Slides",
            original_name="slides.pdf",
            content_type="application/pdf",
            size=9,
            file=SimpleUploadedFile("slides.pdf", b"%PDF-1.7\n"),
        )
        for key, on in [("attachment", meeting), ("board-attachment", board_meeting)]
    }
    token = CalendarToken.issue(public_person)

    topic = TopicFactory(name="Upgrades", slug="upgrades")
    agreements = {
        f"{visibility}-agreement": AgreementFactory(
            title=f"{visibility}-agreement-secret",
            slug=f"{visibility}-agreement",
            visibility=visibility,
            proposing_company=company,
            proposed_by=private_person,
        )
        for visibility in ("public", "members", "board")
    }
    agreements["public-agreement"].topics.add(topic)
    PositionFactory(agreement=agreements["public-agreement"], company=other_company)
    for key in ("members-agreement", "board-agreement"):
        PositionFactory(agreement=agreements[key], company=company, comment=f"{key}-secret")
    item = ActionItemFactory(raised_at=meeting, owner=private_person, visibility="public")
    board_item = ActionItemFactory(
        title="board-action-secret", raised_at=board_meeting, owner=public_person,
        company=company, visibility="board",
    )  # fmt: skip
    forum_topic = ForumTopicFactory(
        title="Edge computing", slug="forum-topic", proposed_by_company=company,
        proposed_by=private_person,
    )  # fmt: skip
    application = joining.submit_application(
        company_name="Newcomer Inc", website="https://newcomer.example.org", hq_timezone="UTC",
        contact_name="Nora Newcomer", contact_email="nora@newcomer.example.org",
        contact_role="Director", interests="Upgrades",
        coordinators=[("Cody Newcomer", "cody@newcomer.example.org")],
        executive=("Ed Newcomer", "ed@newcomer.example.org"),
    )  # fmt: skip

    values = {
        "company": company.slug,
        "company-pk": str(company.pk),
        "company-type": str(ContentType.objects.get_for_model(Company).pk),
        "applicant-company": applicant.slug,
        "public-person": str(public_person.pk),
        "private-person": str(private_person.pk),
        "role": str(role.pk),
        "sub-team": team.slug,
        "application": str(application.pk),
        "status-token": application.status_token,
        "series": series.slug,
        "board-series": board_series.slug,
        "meeting": str(meeting.pk),
        "board-meeting": str(board_meeting.pk),
        "draft-meeting": str(draft.pk),
        "calendar-token": token,
        "action-item": str(item.pk),
        "board-action-item": str(board_item.pk),
        "forum-topic": forum_topic.slug,
        **{key: str(attachment.pk) for key, attachment in attachments.items()},
        **{key: agreement.slug for key, agreement in agreements.items()},
    }
    GroupProfile.objects.create(mission="- group-profile-mission")
    # The admin's object pages: the first object of every registered model.
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"the fixtures lack a {model._meta.label}"
        values[model._meta.label_lower] = str(first.pk)
    return values
