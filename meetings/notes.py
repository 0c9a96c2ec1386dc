"""The agenda and notes of a meeting: who is editing them now, saving a version
without overwriting someone else's, publishing the notes."""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from members.models import Person

from .models import Meeting, NoteRevision

EDITING_SECONDS = 15 * 60


def _editing_key(meeting: Meeting, field: str) -> str:
    return f"meetings:editing:{meeting.pk}:{field}"


def note_editing_started(*, meeting: Meeting, field: str, person: Person) -> list[dict]:
    """Record that `person` opened the text for editing; return the others editing it now."""
    key = _editing_key(meeting, field)
    now = timezone.now().timestamp()
    editors = {
        pk: entry
        for pk, entry in (cache.get(key) or {}).items()
        if now - entry["since"] < EDITING_SECONDS
    }
    others = [entry for pk, entry in editors.items() if pk != person.pk]
    editors[person.pk] = {"name": person.full_name, "since": now}
    cache.set(key, editors, EDITING_SECONDS)
    return others


def note_editing_finished(*, meeting: Meeting, field: str, person: Person) -> None:
    key = _editing_key(meeting, field)
    editors = cache.get(key) or {}
    editors.pop(person.pk, None)
    cache.set(key, editors, EDITING_SECONDS)


def latest_revision(meeting: Meeting, field: str) -> NoteRevision | None:
    return meeting.revisions.filter(field=field).first()


class EditConflict(Exception):
    """Someone saved the same text after the editor opened it."""

    def __init__(self, current: NoteRevision):
        super().__init__("The text was changed by someone else while you edited it.")
        self.current = current


@transaction.atomic
def save_note(
    *,
    meeting: Meeting,
    field: str,
    text: str,
    author: Person | None,
    base_revision_id: int | None,
) -> NoteRevision | None:
    """Save a new version of the agenda or notes, keeping the revision (`author` None:
    the portal itself, on behalf of someone without an account, e.g. an applicant).

    `base_revision_id` is the latest revision when the editor opened the text; if
    another one was saved since, nothing is overwritten: EditConflict carries it, so the
    editor can merge. Returns None when the text did not change.
    """
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    current = latest_revision(meeting, field)
    if current is not None and current.pk != base_revision_id:
        raise EditConflict(current)
    changed = meeting.edit_text(field, text)
    if author is not None:
        note_editing_finished(meeting=meeting, field=field, person=author)
    if not changed and current is not None:
        return None
    return NoteRevision.objects.create(meeting=meeting, field=field, text=text, author=author)


@transaction.atomic
def edit_agenda(
    *, meeting: Meeting, change: Callable[[str], str], author: Person | None
) -> NoteRevision | None:
    """Apply `change` to the agenda as it is now, under the meeting's lock: for the
    portal's own additions (a welcome on a board agenda), which must not overwrite what
    a coordinator saved a moment before."""
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    latest = latest_revision(current, NoteRevision.Field.AGENDA)
    revision = save_note(
        meeting=current,
        field=NoteRevision.Field.AGENDA,
        text=change(current.agenda),
        author=author,
        base_revision_id=latest.pk if latest else None,
    )
    meeting.refresh_from_db(fields=["agenda", "revision", "updated_at"])
    return revision


@transaction.atomic
def publish_notes(*, meeting: Meeting) -> Meeting:
    meeting.publish_notes()
    return meeting


@transaction.atomic
def unpublish_notes(*, meeting: Meeting) -> Meeting:
    meeting.unpublish_notes()
    return meeting
