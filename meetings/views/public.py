"""The meeting pages everyone sees: upcoming and past meetings, a meeting, a series,
an attachment."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.generic import ListView

from members.models import Company
from members.permissions import Access, access_for

from .. import rotation
from ..attendance import board_quorum
from ..conflicts import meeting_conflicts, series_conflicts
from ..dst import dst_warnings, series_clock_notes
from ..forms import MeetingFilterForm
from ..models import Attachment, Meeting, Series
from ..planner import audience_zones, planner_comparison
from ..scheduling import add_months, may_restore

PAGE_SIZE = 50


def visible_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("series", "slot"), pk=pk)
    if not access_for(request.user).can_see_meeting(meeting):
        # Board meetings are not even confirmed to exist to others.
        raise Http404
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
    }
    context["can_restore"] = context["can_edit"] and may_restore(meeting)
    if context["can_edit"] and meeting.status == Meeting.Status.SCHEDULED:
        context["conflicts"] = meeting_conflicts(meeting, access=access)
    if access.can_see_attendance:
        context["attendance"] = list(meeting.attendance.select_related("person", "company"))
        if meeting.is_board:
            context["quorum"] = board_quorum(meeting)
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
        "dst_warnings": dst_warnings(series=series, now=now),
        "clock_notes": series_clock_notes(
            series, now=now, until=add_months(now, series.horizon_months)
        ),
        "can_edit": access.can_coordinate,
        "conflicts": (
            series_conflicts(series, access=access, now=now) if access.can_coordinate else []
        ),
    }
    explicit = series.cadence == Series.Cadence.EXPLICIT
    if slots and not explicit and (zones := audience_zones()):
        context.update(
            planner_comparison(
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
    # A company that has not chosen its headquarters zone yet has no row to compare.
    companies = [c for c in companies if c.hq_timezone]
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
