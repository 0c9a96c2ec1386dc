"""Uploaded files: checked for size and type, served with safe headers, never executed."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from meetings.forms import MAX_ATTACHMENT_BYTES
from meetings.models import Attachment
from tests.factories import MeetingFactory

PDF_HEAD = b"%PDF-1.7\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def meeting(db):
    starts = timezone.now() + datetime.timedelta(days=3)
    return MeetingFactory(starts_at=starts, ends_at=starts + datetime.timedelta(hours=1))


def upload(client, meeting, name: str, content: bytes):
    return client.post(
        reverse("meetings:attachments", args=[meeting.pk]),
        {"title": "Slides", "file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.django_db
def test_attachment_over_the_size_limit_is_refused_with_a_field_error(
    client, coordinator, meeting, media
):
    client.force_login(coordinator)
    too_big = PDF_HEAD + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(PDF_HEAD))

    response = upload(client, meeting, "slides.pdf", too_big)

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["The file is 20.0 MB; the limit is 20 MB."]}
    assert Attachment.objects.count() == 0
    assert list(media.rglob("*.pdf")) == []


@pytest.mark.django_db
def test_attachment_of_exactly_the_size_limit_is_accepted(client, coordinator, meeting, media):
    client.force_login(coordinator)
    at_limit = PDF_HEAD + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF_HEAD))

    response = upload(client, meeting, "slides.pdf", at_limit)

    assert response.status_code == 302
    assert Attachment.objects.get().size == MAX_ATTACHMENT_BYTES


@pytest.mark.django_db
def test_attachment_download_carries_the_safe_headers(client, coordinator, meeting, media):
    client.force_login(coordinator)
    # Text that a browser sniffing the content would run as a page.
    upload(client, meeting, 'notes"<b>.txt', b"<html><script>alert(1)</script></html>")
    attachment = Attachment.objects.get()
    client.logout()

    response = client.get(reverse("meetings:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"


@pytest.mark.django_db
def test_stored_attachment_is_not_served_from_the_media_folder(
    client, coordinator, meeting, media, settings
):
    client.force_login(coordinator)
    upload(client, meeting, "slides.pdf", PDF_HEAD)
    stored = Attachment.objects.get().file.name

    # Only the view that checks who may see the meeting serves it.
    assert client.get(f"/{settings.MEDIA_URL}{stored}").status_code == 404
    assert stored.startswith(f"attachments/{meeting.pk}/")
    assert "slides" not in stored


@pytest.mark.django_db
def test_a_huge_body_is_refused_from_its_length_before_it_is_read(client, coordinator, meeting):
    client.force_login(coordinator)

    response = client.post(
        reverse("meetings:attachments", args=[meeting.pk]),
        data=b"x" * 10,
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(2 * 1024**3),
    )

    assert response.status_code == 413
    assert response.content.decode() == (
        "The request is too large: 2048 MB; the limit is 21 MB (attachments up to 20 MB)."
    )
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_a_garbled_content_length_is_refused(client):
    response = client.post("/join/", data=b"", content_type="text/plain", CONTENT_LENGTH="12x")

    assert response.status_code == 400
