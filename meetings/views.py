from __future__ import annotations

import csv
import datetime
import difflib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from agreements.selectors import meeting_memory
from lcoo.http import csv_safe
from members.models import Company, Person
from members.permissions import Access, access_for
from members.views import CoordinatorRequiredMixin

from . import announcements, rotation, services, tasks
from .forms import (
    AttachmentForm,
    AttendanceForm,
    CancelForm,
    MeetingFilterForm,
    MeetingForm,
    NoteForm,
    ResendForm,
    SeriesDatesForm,
    SeriesForm,
    SlotFormSet,
    split_local,
)
from .models import Attachment, Meeting, NoteRevision, Series

PAGE_SIZE = 50


def visible_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("series", "slot"), pk=pk)
    if not access_for(request.user).can_see_meeting(meeting):
        # Board meetings are not even confirmed to exist to others.
        raise Http404
    return meeting


def editable_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = visible_meeting(request, pk)
    if not access_for(request.user).can_edit_meeting(meeting):
        raise PermissionDenied
    return meeting


class MeetingListView(ListView):
    """Upcoming meetings in the viewer's zone, with each one's time in its slot's zone."""

    template_name = "meetings/meeting_list.html"
    context_object_name = "meetings"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        access = access_for(self.request.user)
        self.series_choices = Series.objects.visible_to(access).only("name", "slug", "kind")
        self.filter_form = MeetingFilterForm(
            self.request.GET or None, series_queryset=self.series_choices
        )
        meetings = Meeting.objects.visible_to(access).upcoming().for_listing()
        if self.filter_form.is_valid():
            if kind := self.filter_form.cleaned_data["kind"]:
                meetings = meetings.filter(series__kind=kind)
            if series := self.filter_form.cleaned_data["series"]:
                meetings = meetings.filter(series=series)
        return meetings

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        return context


class PastMeetingListView(ListView):
    template_name = "meetings/past_list.html"
    context_object_name = "meetings"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return (
            Meeting.objects.visible_to(access_for(self.request.user))
            .past()
            .with_published_notes()
            .for_listing()
        )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = visible_meeting(request, pk)
    access = access_for(request.user)
    context = {
        "meeting": meeting,
        "presenters": list(meeting.presenters.all()),
        "presenting_companies": list(meeting.presenting_companies.all()),
        "attachments": list(meeting.attachments.all()),
        "can_see_notes": access.can_see_notes(meeting),
        "can_see_members_notes": access.can_see_members_notes(meeting),
        "can_see_link": access.can_see_conference_link(meeting),
        "can_edit": access.can_edit_meeting(meeting),
        "calendar_links": calendar_links(request, meeting),
        "memory": meeting_memory(meeting=meeting, access=access),
    }
    if context["can_edit"] and meeting.status == Meeting.Status.SCHEDULED:
        context["conflicts"] = services.meeting_conflicts(meeting, access=access)
    if access.can_see_attendance:
        context["attendance"] = list(meeting.attendance.select_related("person", "company"))
        if meeting.is_board:
            context["quorum"] = services.board_quorum(meeting)
    if meeting.is_board and access.can_see_board:
        # Who is invited besides the board (a company's executive to be welcomed).
        context["invitations"] = list(meeting.invitations.all())
    return render(request, "meetings/meeting_detail.html", context)


def calendar_links(request: HttpRequest, meeting: Meeting) -> dict[str, str]:
    """ "Add to calendar" URLs for Google and Outlook: plain links, nothing fetched."""
    fmt = "%Y%m%dT%H%M%SZ"
    start = meeting.starts_at.astimezone(datetime.UTC)
    end = meeting.ends_at.astimezone(datetime.UTC)
    page = settings.SITE_URL + meeting.get_absolute_url()
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": meeting.title,
            "dates": f"{start.strftime(fmt)}/{end.strftime(fmt)}",
            "details": page,
        }
    )
    outlook = "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "subject": meeting.title,
            "startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": page,
            "path": "/calendar/action/compose",
            "rru": "addevent",
        }
    )
    return {"google": google, "outlook": outlook}


def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    series = get_object_or_404(
        Series.objects.visible_to(access).prefetch_related("slots", "dates"), slug=slug
    )
    context = series_page(series, access=access, now=timezone.now())
    return render(request, "meetings/series_detail.html", context)


def series_page(series: Series, *, access: Access, now: datetime.datetime) -> dict:
    """The series page as of `now`: the next meetings with their fairness table, coming
    DST changes, overlaps (for coordinators) and the planner's suggestion."""
    upcoming = list(
        series.meetings.upcoming(now)
        .select_related("slot")
        .exclude(status=Meeting.Status.CANCELLED)[:8]
    )
    companies = list(Company.objects.members().only("name", "hq_timezone"))
    slots = series.rotation_slots()
    context = {
        "series": series,
        "upcoming": upcoming,
        "explicit_dates": explicit_dates(series, slots),
        "fairness": fairness_table(upcoming, companies, series.duration),
        "dst_warnings": services.dst_warnings(series=series, now=now),
        "can_edit": access.can_coordinate,
        "conflicts": (
            services.series_conflicts(series, access=access, now=now)
            if access.can_coordinate
            else []
        ),
    }
    explicit = series.cadence == Series.Cadence.EXPLICIT
    if slots and not explicit and (zones := services.audience_zones()):
        context.update(
            services.planner_comparison(
                slots=slots, zones=zones, duration=series.duration, reference=now.date()
            )
        )
    return context


def explicit_dates(series: Series, slots: list[rotation.Slot]) -> list[tuple[datetime.date, str]]:
    """A series' explicit dates, each with the zone it is a date in (its slot's, k mod n)."""
    if series.cadence != Series.Cadence.EXPLICIT or not slots:
        return []
    days = sorted({d.date for d in series.dates.all()})
    return [(day, slots[k % len(slots)].zone) for k, day in enumerate(days)]


COMFORT_LABELS = {"ok": "office hours", "off": "outside office hours", "night": "night"}


def fairness_table(
    meetings: list[Meeting], companies: list[Company], duration: datetime.timedelta
) -> dict:
    """Member companies × meetings: the local time in each headquarters zone, with comfort."""
    instants = [m.starts_at for m in meetings]
    report = rotation.fairness(instants, [c.hq_timezone for c in companies], duration)
    by_zone = {z.zone: z for z in report}
    rows = []
    for company in companies:
        zone = by_zone[company.hq_timezone]
        cells = []
        for local, night, off in zip(zone.local_times, zone.night, zone.off_hours, strict=True):
            comfort = "night" if night else "off" if off else "ok"
            cells.append({"local": local, "comfort": comfort, "label": COMFORT_LABELS[comfort]})
        rows.append(
            {
                "company": company,
                "zone": company.hq_timezone,
                "cells": cells,
                "night_share": zone.night_share,
                "off_hours_share": zone.off_hours_share,
            }
        )
    return {"meetings": meetings, "rows": rows}


# Coordinators' area -----------------------------------------------------------------


class ManageHomeView(CoordinatorRequiredMixin, ListView):
    template_name = "meetings/manage/home.html"
    context_object_name = "series_list"

    def get_queryset(self):
        return Series.objects.visible_to(access_for(self.request.user)).prefetch_related("slots")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next_meetings"] = (
            Meeting.objects.visible_to(access_for(self.request.user))
            .upcoming()
            .for_listing()
            .exclude(status=Meeting.Status.CANCELLED)[:10]
        )
        context["needs_notes"] = (
            Meeting.objects.visible_to(access_for(self.request.user))
            .past()
            .filter(notes_published=False, status__in=["scheduled", "held"])
            .for_listing()[:10]
        )
        return context


@login_required
def series_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    access = access_for(request.user)
    if not access.can_coordinate:
        raise PermissionDenied
    series = None
    if slug is not None:
        series = get_object_or_404(Series.objects.visible_to(access), slug=slug)
    # Read before the form writes its cleaned values onto the instance.
    previous_link = series.conference_link if series else ""
    kind = request.GET.get("kind", Series.Kind.GENERAL)
    if series is None and kind not in Series.Kind.values:
        kind = Series.Kind.GENERAL
    initial = {}
    if series is None:
        initial = {"kind": kind, "anchor": timezone.now().date(), **Series.defaults_for(kind)}
    form = SeriesForm(request.POST or None, instance=series, initial=initial)
    slots = SlotFormSet(request.POST or None, instance=series or Series(), prefix="slots")
    dates = SeriesDatesForm.for_series(series, request.POST or None)

    # htmx posts the form on every change for the live preview; that never saves.
    previewing = bool(request.headers.get("HX-Request")) or "preview" in request.POST
    if (
        request.method == "POST"
        and not previewing
        and all([form.is_valid(), slots.is_valid(), dates.is_valid()])
    ):
        if form.cleaned_data["audience"] == "board" and not access.can_see_board:
            form.add_error("audience", "Only chairs and executives can run board meetings.")
        else:
            with transaction.atomic():
                saved = form.save()
                if series is not None and saved.conference_link != previous_link:
                    services.series_link_changed(series=saved)
                slots.instance = saved
                slots.save()
                dates.save(saved)
                result = services.extend_series(series=saved)
            messages.success(
                request,
                f"Saved. {result.created} meetings created, {result.moved} moved, "
                f"{result.cancelled} cancelled.",
            )
            if conflicts := services.series_conflicts(saved, access=access):
                messages.warning(
                    request, f"{len(conflicts)} overlaps with other meetings: see the list below."
                )
            return redirect(saved.get_absolute_url())
    preview = None
    if request.method == "POST":
        preview = series_preview(form, slots, dates, series=series, access=access)
    if preview is None and series is not None:
        preview = preview_for(
            series.rotation_cadence(),
            series.rotation_slots(),
            series.duration,
            horizon_months=series.horizon_months,
            audience=series.audience,
            conference_link=series.conference_link,
            series_id=series.pk,
            name=series.name,
            access=access,
        )
    context = {"form": form, "slots": slots, "dates": dates, "series": series, "preview": preview}
    if request.headers.get("HX-Request") and request.method == "POST":
        return render(request, "meetings/manage/series_form.html#preview", context)
    status = 400 if request.method == "POST" and not previewing else 200
    return render(request, "meetings/manage/series_form.html", context, status=status)


def series_preview(form, slots, dates, *, series: Series | None, access: Access) -> dict | None:
    """The next occurrences of the form's (unsaved) settings, in the main member zones,
    checked for overlaps as the form would save them: its audience, bridge and horizon,
    leaving out the series' own saved meetings (`series`, None for a new one)."""
    if not (form.is_valid() and slots.is_valid() and dates.is_valid()):
        return None
    data = form.cleaned_data
    rotation_slots = [
        rotation.Slot(
            f.cleaned_data["weekday"], f.cleaned_data["local_time"], f.cleaned_data["zone"]
        )
        for f in slots.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    if data["cadence"] == Series.Cadence.WEEKLY:
        cadence = rotation.EveryNWeeks(anchor=data["anchor"], interval=data["interval"])
    elif data["cadence"] == Series.Cadence.MONTHLY:
        cadence = rotation.MonthlyNthWeekday(
            anchor=data["anchor"], ordinal=data["monthly_ordinal"], interval=data["interval"]
        )
    else:
        cadence = rotation.ExplicitDates(dates=tuple(dates.cleaned_data["dates"]))
    return preview_for(
        cadence,
        rotation_slots,
        datetime.timedelta(minutes=data["duration_minutes"]),
        horizon_months=data["horizon_months"],
        audience=data["audience"],
        conference_link=data["conference_link"],
        series_id=series.pk if series is not None else None,
        name=data["name"],
        access=access,
    )


@dataclass(frozen=True)
class PreviewRow:
    starts_at: datetime.datetime
    slot: rotation.Slot

    @property
    def slot_label(self) -> str:
        return str(self.slot)


def preview_for(
    cadence,
    slots,
    duration,
    *,
    horizon_months: int = 12,
    audience: str = "public",
    conference_link: str = "",
    series_id: int | None = None,
    name: str = "",
    access: Access,
) -> dict | None:
    if not slots:
        return None
    now = timezone.now()
    planned = rotation.expand(cadence, slots, now, services.add_months(now, horizon_months))
    conflicts = services.find_conflicts(
        [services.Planned(o.start, o.start + duration, name or "this series") for o in planned],
        audience=audience,
        conference_link=conference_link,
        access=access,
        exclude_series_id=series_id,
    )
    occurrences = planned[:6]
    companies = list(Company.objects.members().only("name", "hq_timezone"))

    rows = [PreviewRow(starts_at=o.start, slot=slots[o.slot_index]) for o in occurrences]
    table = fairness_table(rows, companies, duration)
    return {"occurrences": rows, "fairness": table, "conflicts": conflicts}


@login_required
@require_POST
def series_generate(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    series = get_object_or_404(Series.objects.visible_to(access), slug=slug)
    if not access.can_coordinate:
        raise PermissionDenied
    result = services.extend_series(series=series)
    messages.success(
        request,
        f"Rotation extended: {result.created} created, {result.moved} moved, "
        f"{result.cancelled} cancelled.",
    )
    return redirect(series.get_absolute_url())


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
            services.update_meeting(
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
            if services.meeting_conflicts(meeting, access=access_for(request.user)):
                messages.warning(request, "It overlaps with other meetings: see the list below.")
            return redirect(meeting.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/manage/meeting_form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


@login_required
def meeting_text_edit(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    meeting = editable_meeting(request, pk)
    if field not in NoteRevision.Field.values:
        raise Http404
    current = services.latest_revision(meeting, field)
    conflict = None
    if request.method == "POST":
        form = NoteForm(request.POST, field=field)
        if form.is_valid():
            try:
                services.save_note(
                    meeting=meeting,
                    field=field,
                    text=form.cleaned_data["text"],
                    author=request.user,
                    base_revision_id=form.cleaned_data["base_revision"],
                )
            except services.EditConflict as error:
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
        others = services.note_editing_started(meeting=meeting, field=field, person=request.user)
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
            services.unpublish_notes(meeting=meeting)
            messages.success(request, "The notes are no longer public.")
        else:
            services.publish_notes(meeting=meeting)
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
            services.cancel_meeting(meeting=meeting, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The meeting is cancelled.")
            return redirect(meeting.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/manage/cancel_form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


def roll_call_people(meeting: Meeting):
    """People who could have attended: the group's people, board members for board meetings."""
    people = Person.objects.filter(is_active=True).select_related("company")
    if meeting.is_board:
        people = people.filter(roles__kind__in=["executive", "chair"]).distinct()
    return people.order_by("company__name", "full_name")


@login_required
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = editable_meeting(request, pk)
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
        services.record_attendance(
            meeting=meeting,
            people=list(form.cleaned_data["people"]),
            guests=form.cleaned_data["guests"],
            recorded_by=request.user,
        )
        if meeting.status == Meeting.Status.SCHEDULED and meeting.starts_at <= timezone.now():
            services.mark_held(meeting=meeting)
        messages.success(request, "Attendance is saved.")
        return redirect(meeting.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/manage/attendance_form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


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
        summary = services.company_participation()
        context["rows"] = [
            {"company": c, "summary": summary.get(c.pk)} for c in context["companies"]
        ]
        context["kinds"] = Series.Kind.choices
        context["people"] = services.people_participation()
        return context

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="participation.csv"'
            writer = csv.writer(response)
            writer.writerow(
                ["company", "status", *[label for _, label in Series.Kind.choices], "total"]
            )
            for row in context["rows"]:
                by_kind = row["summary"].by_kind if row["summary"] else {}
                writer.writerow(
                    [
                        csv_safe(row["company"].name),
                        row["company"].status,
                        *[by_kind.get(kind, 0) for kind, _ in Series.Kind.choices],
                        sum(by_kind.values()),
                    ]
                )
            return response
        return super().render_to_response(context, **kwargs)


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
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/manage/attachment_form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("meeting__series"), pk=pk)
    if not access_for(request.user).can_see_meeting(attachment.meeting):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store" if attachment.meeting.is_board else "private"
    return response


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
    return render(
        request,
        "meetings/manage/deliveries.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
