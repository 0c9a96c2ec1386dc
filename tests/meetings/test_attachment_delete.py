"""Deleting a meeting's attachment from the coordinators' attachments page."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from meetings import scheduling
from meetings.models import Attachment
from tests.factories import MeetingFactory, SeriesFactory

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def attach(meeting, title: str = "Slides") -> Attachment:
    attachment = Attachment(
        meeting=meeting,
        title=title,
        original_name="slides.pdf",
        content_type="application/pdf",
        size=9,
    )
    attachment.file.save("slides.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    return attachment


@pytest.fixture
def public_meeting(db):
    return MeetingFactory(series=SeriesFactory(name="General Meeting", slug="gm"))


@pytest.fixture
def board_meeting(db):
    board = SeriesFactory(name="Executive Board", slug="board", kind="board", audience="board")
    return MeetingFactory(series=board)


def delete_url(attachment) -> str:
    return reverse("meetings:attachment-delete", args=[attachment.pk])


@pytest.mark.django_db
def test_coordinator_deletes_an_attachment_and_its_file_goes_after_commit(
    client, coordinator, public_meeting, django_capture_on_commit_callbacks
):
    attachment = attach(public_meeting)
    kept = attach(public_meeting, "Notes")
    name = attachment.file.name
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(attachment), follow=True)

    assert response.redirect_chain == [
        (reverse("meetings:attachments", args=[public_meeting.pk]), 302)
    ]
    assert "Deleted: Slides." in response.content.decode()
    assert list(public_meeting.attachments.all()) == [kept]
    assert default_storage.exists(name) is False
    assert default_storage.exists(kept.file.name) is True


@pytest.mark.django_db
def test_file_stays_when_the_deletion_is_rolled_back(
    public_meeting, django_capture_on_commit_callbacks
):
    attachment = attach(public_meeting)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scheduling.delete_attachment(attachment=attachment)

    # Nothing committed yet: the file is still there until the commit runs the callback.
    assert len(callbacks) == 1
    assert default_storage.exists(attachment.file.name) is True


@pytest.mark.django_db
def test_attachments_page_lists_them_with_a_delete_button_in_fixed_queries(
    client, coordinator, public_meeting, django_assert_max_num_queries
):
    for n in range(5):
        attach(public_meeting, f"Deck {n}")
    client.force_login(coordinator)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("meetings:attachments", args=[public_meeting.pk]))

    assert page.content.decode().count('action="/meetings/manage/attachments/') == 5


@pytest.mark.django_db
def test_attachment_delete_abuse(
    client,
    participant,
    coordinator,
    public_meeting,
    board_meeting,
    django_capture_on_commit_callbacks,
):
    public = attach(public_meeting)
    board = attach(board_meeting, "Budget")

    anonymous = client.post(delete_url(public))
    client.force_login(participant)
    as_participant = client.post(delete_url(public))
    client.force_login(coordinator)
    as_get = client.get(delete_url(public))
    hidden = client.post(delete_url(board))
    forged = client.post(reverse("meetings:attachment-delete", args=[999999]))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(delete_url(public))
    replay = client.post(delete_url(public))

    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert as_participant.status_code == 403
    assert as_get.status_code == 405
    assert hidden.status_code == 404
    assert forged.status_code == 404
    assert first.status_code == 302
    assert replay.status_code == 404
    assert list(Attachment.objects.all()) == [board]
    assert default_storage.exists(board.file.name) is True


@pytest.mark.django_db
def test_executive_who_sees_the_board_may_not_delete_without_coordinating(
    client, executive, board_meeting
):
    board = attach(board_meeting, "Budget")
    client.force_login(executive)

    response = client.post(delete_url(board))

    assert response.status_code == 403
    assert Attachment.objects.count() == 1
