"""The coordinators' pages of one meeting: its time, texts, status, attendance,
attachments and mail; and participation across meetings."""

from __future__ import annotations

import csv
import datetime
import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from lcoo.http import csv_safe
from members.models import Company, Person
from members.permissions import access_for
from members.views import CoordinatorRequiredMixin

from .. import announcements, attendance, notes, scheduling, tasks
from ..conflicts import meeting_conflicts
from ..forms import (
    AttachmentForm,
    AttendanceForm,
    CancelForm,
    MeetingForm,
    NoteForm,
    ResendForm,
    split_local,
)
from ..models import Attachment, Meeting, NoteRevision, Series
from .public import visible_meeting


def editable_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = visible_meeting(request, pk)
    if not access_for(request.user).can_edit_meeting(meeting):
        raise PermissionDenied
    return meeting


def _form_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A coordinators' form page; a form posted back with its errors answers 400."""
    status = 400 if request.method == "POST" else 200
    return render(request, f"meetings/manage/{template}", context, status=status)


def _not_started_page(request: HttpRequest, meeting: Meeting, what: str) -> HttpResponse:
    """Instead of a form for what happened at a meeting that has not started: why not.
    A POST changes nothing and is answered 400 with the reason."""
    if request.method == "POST":
        messages.error(
            request, f"{what} can be recorded once the meeting has started: nothing is saved."
        )
    context = {"meeting": meeting, "what": what}
    return _form_page(request, "not_started.html", context)


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    zone = meeting.slot_zone
    initial = {
        "starts_at": split_local(meeting.starts_at, zone),
        "duration_minutes": int(meeting.duration.total_seconds() // 60),
        "topic": meeting.topic,
        "conference_link": meeting.conference_link,
        "presenters": meeting.presenters.all(),
        "presenting_companies": meeting.presenting_companies.all(),
    }
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scheduling.update_meeting(
                meeting=meeting,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                topic=data["topic"],
                conference_link=data["conference_link"],
                presenters=list(data["presenters"]),
                presenting_companies=list(data["presenting_companies"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The meeting is saved.")
            if meeting_conflicts(meeting, access=access_for(request.user)):
                messages.warning(request, "It overlaps with other meetings: see the list below.")
            return redirect(meeting.get_absolute_url())
    context = {"form": form, "meeting": meeting, "can_restore": scheduling.may_restore(meeting)}
    return _form_page(request, "meeting_form.html", context)


@login_required
def meeting_text_edit(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    if field not in NoteRevision.Field.values:
        raise Http404
    if field != NoteRevision.Field.AGENDA and not meeting.has_started():
        return _not_started_page(request, meeting, NoteRevision.Field(field).label)
    current = notes.latest_revision(meeting, field)
    conflict = None
    if request.method == "POST":
        form = NoteForm(request.POST, field=field)
        if form.is_valid():
            try:
                notes.save_note(
                    meeting=meeting,
                    field=field,
                    text=form.cleaned_data["text"],
                    author=request.user,
                    base_revision_id=form.cleaned_data["base_revision"],
                )
            except notes.EditConflict as error:
                conflict = error.current
                # Keep what this editor wrote; the next save is based on the newest version.
                form = NoteForm(
                    {"text": form.cleaned_data["text"], "base_revision": conflict.pk}, field=field
                )
                form.is_valid()
            else:
                messages.success(request, f"{NoteRevision.Field(field).label} saved.")
                return redirect(meeting.get_absolute_url())
        others = []
    else:
        form = NoteForm(
            initial={
                "text": getattr(meeting, field),
                "base_revision": current.pk if current else None,
            },
            field=field,
        )
        others = notes.note_editing_started(meeting=meeting, field=field, person=request.user)
    context = {
        "meeting": meeting,
        "form": form,
        "field": field,
        "field_label": NoteRevision.Field(field).label,
        "conflict": conflict,
        "others_editing": others,
        "current": current,
    }
    return render(
        request, "meetings/manage/text_form.html", context, status=409 if conflict else 200
    )


@login_required
def meeting_text_history(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    if field not in NoteRevision.Field.values:
        raise Http404
    revisions = list(meeting.revisions.filter(field=field).select_related("author"))
    diff_rows = None
    selected = request.GET.get("rev")
    if selected:
        by_pk = {str(r.pk): i for i, r in enumerate(revisions)}
        if selected in by_pk:
            index = by_pk[selected]
            newer = revisions[index]
            older = revisions[index + 1] if index + 1 < len(revisions) else None
            diff_rows = list(
                difflib.unified_diff(
                    (older.text if older else "").splitlines(),
                    newer.text.splitlines(),
                    fromfile="before",
                    tofile="after",
                    lineterm="",
                )
            )
    context = {
        "meeting": meeting,
        "field": field,
        "field_label": NoteRevision.Field(field).label,
        "revisions": revisions,
        "diff_rows": diff_rows,
        "selected": selected,
    }
    return render(request, "meetings/manage/text_history.html", context)


@login_required
@require_POST
def meeting_publish(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    try:
        if request.POST.get("publish") == "0":
            notes.unpublish_notes(meeting=meeting)
            messages.success(request, "The notes are no longer public.")
        else:
            notes.publish_notes(meeting=meeting)
            messages.success(request, "The notes are published.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(meeting.get_absolute_url())


@login_required
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheduling.cancel_meeting(meeting=meeting, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The meeting is cancelled.")
            return redirect(meeting.get_absolute_url())
    return _form_page(request, "cancel_form.html", {"form": form, "meeting": meeting})


def roll_call_people(meeting: Meeting):
    """People who could have attended: the group's people, board members for board meetings."""
    people = Person.objects.filter(is_active=True).select_related("company")
    if meeting.is_board:
        people = people.filter(roles__kind__in=["executive", "chair"]).distinct()
    return people.order_by("company__name", "full_name")


@login_required
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    if not meeting.has_started():
        return _not_started_page(request, meeting, "Attendance")
    present = list(meeting.attendance.select_related("person", "company"))
    initial = {
        "people": [a.person_id for a in present if a.person_id],
        "guests": "\n".join(
            f"{a.guest_name}, {a.guest_company}".rstrip(", ") for a in present if not a.person_id
        ),
    }
    form = AttendanceForm(
        request.POST or None, initial=initial, people_queryset=roll_call_people(meeting)
    )
    if request.method == "POST" and form.is_valid():
        attendance.record_attendance(
            meeting=meeting,
            people=list(form.cleaned_data["people"]),
            guests=form.cleaned_data["guests"],
            recorded_by=request.user,
        )
        if meeting.status == Meeting.Status.SCHEDULED and meeting.starts_at <= timezone.now():
            scheduling.mark_held(meeting=meeting)
        messages.success(request, "Attendance is saved.")
        return redirect(meeting.get_absolute_url())
    return _form_page(request, "attendance_form.html", {"form": form, "meeting": meeting})


@login_required
def meeting_attendance_csv(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-{meeting.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(["meeting", "starts_at_utc", "name", "company", "guest"])
    for row in meeting.attendance.select_related("person", "company"):
        writer.writerow(
            [
                csv_safe(meeting.title),
                meeting.starts_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                csv_safe(row.attendee_name),
                csv_safe(row.company_name),
                "no" if row.person_id else "yes",
            ]
        )
    return response


class ParticipationView(CoordinatorRequiredMixin, ListView):
    template_name = "meetings/manage/participation.html"
    context_object_name = "companies"

    def get_queryset(self):
        return Company.objects.exclude(status=Company.Status.FORMER)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        access = access_for(self.request.user)
        summary = attendance.company_participation(access)
        context["rows"] = [
            {"company": c, "summary": summary.get(c.pk)} for c in context["companies"]
        ]
        context["kinds"] = [
            (kind, label)
            for kind, label in Series.Kind.choices
            if access.can_see_board or kind != Series.Kind.BOARD
        ]
        context["people"] = attendance.people_participation(access)
        return context

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="participation.csv"'
            writer = csv.writer(response)
            kinds = [kind for kind, _ in context["kinds"]]
            writer.writerow(
                ["company", "status", *[label for _, label in context["kinds"]], "total"]
            )
            for row in context["rows"]:
                by_kind = row["summary"].by_kind if row["summary"] else {}
                writer.writerow(
                    [
                        csv_safe(row["company"].name),
                        row["company"].status,
                        *[by_kind.get(kind, 0) for kind in kinds],
                        sum(by_kind.values()),
                    ]
                )
            return response
        return super().render_to_response(context, **kwargs)


@login_required
@require_POST
def meeting_restore(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    try:
        restored = scheduling.restore_meeting(meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if restored:
            messages.success(request, "The meeting is scheduled again.")
        else:
            messages.info(request, "The meeting is scheduled already: nothing changed.")
    return redirect(meeting.get_absolute_url())


@login_required
def meeting_attachments(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        attachment = form.save(commit=False)
        attachment.meeting = meeting
        attachment.uploaded_by = request.user
        attachment.save()
        messages.success(request, f"Attached: {attachment.title}.")
        return redirect(meeting.get_absolute_url())
    context = {"form": form, "meeting": meeting, "attachments": list(meeting.attachments.all())}
    return _form_page(request, "attachment_form.html", context)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment.objects.only("pk", "meeting_id"), pk=pk)
    meeting = editable_meeting(request, attachment.meeting_id)
    attachment = get_object_or_404(meeting.attachments, pk=pk)
    title = attachment.title
    scheduling.delete_attachment(attachment=attachment)
    messages.success(request, f"Deleted: {title}.")
    return redirect("meetings:attachments", pk=meeting.pk)


@login_required
def meeting_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's mail log, and resending one kind to everyone or to one recipient."""
    meeting = editable_meeting(request, pk)
    form = ResendForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        count = announcements.resend(
            meeting=meeting,
            kind=form.cleaned_data["kind"],
            recipient=form.cleaned_data["recipient"] or None,
        )
        tasks.queue_senders(count)
        messages.success(request, f"{count} messages queued again.")
        return redirect("meetings:deliveries", pk=meeting.pk)
    rows = meeting.deliveries.order_by("kind", "recipient", "-round")
    summary = {
        (kind, status): count
        for kind, status, count in meeting.deliveries.values_list("kind", "status")
        .annotate(count=Count("pk"))
        .values_list("kind", "status", "count")
    }
    context = {
        "meeting": meeting,
        "rows": rows[:500],
        "total": rows.count(),
        "form": form,
        "summary": sorted(summary.items()),
    }
    return _form_page(request, "deliveries.html", context)
