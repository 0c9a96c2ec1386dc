"""The coordinators' area: its home, and creating and editing series with a live preview."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import ListView

from members.models import Company
from members.permissions import Access, access_for
from members.views import CoordinatorRequiredMixin

from .. import rotation
from ..conflicts import Planned, find_conflicts, series_conflicts
from ..dst import slot_clock_notes
from ..forms import EndSeriesForm, ExtraMeetingForm, SeriesDatesForm, SeriesForm, SlotFormSet
from ..models import Meeting, Series, rotation_cadence
from ..scheduling import (
    add_extra_meeting,
    add_months,
    end_series,
    extend_series,
    reopen_series,
    series_link_changed,
)
from .public import fairness_table


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
                    series_link_changed(series=saved)
                slots.instance = saved
                slots.save()
                dates.save(saved)
                result = extend_series(series=saved)
            messages.success(
                request,
                f"Saved. {result.created} meetings created, {result.moved} moved, "
                f"{result.cancelled} cancelled.",
            )
            if conflicts := series_conflicts(saved, access=access):
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
    # The form has written its cleaned values onto its (unsaved) series.
    cadence = rotation_cadence(form.instance, dates=dates.cleaned_data["dates"])
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
    planned = rotation.expand(cadence, slots, now, add_months(now, horizon_months))
    conflicts = find_conflicts(
        [Planned(o.start, o.start + duration, name or "this series") for o in planned],
        audience=audience,
        conference_link=conference_link,
        access=access,
        exclude_series_id=series_id,
    )
    occurrences = planned[:6]
    companies = list(Company.objects.members().only("name", "hq_timezone"))

    rows = [PreviewRow(starts_at=o.start, slot=slots[o.slot_index]) for o in occurrences]
    table = fairness_table(rows, companies, duration)
    return {
        "occurrences": rows,
        "fairness": table,
        "conflicts": conflicts,
        "clock_notes": slot_clock_notes(planned, slots),
    }


@login_required
@require_POST
def series_generate(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    series = get_object_or_404(Series.objects.visible_to(access), slug=slug)
    if not access.can_coordinate:
        raise PermissionDenied
    result = extend_series(series=series)
    messages.success(
        request,
        f"Rotation extended: {result.created} created, {result.moved} moved, "
        f"{result.cancelled} cancelled.",
    )
    return redirect(series.get_absolute_url())


def editable_series(request: HttpRequest, slug: str) -> Series:
    """A series the viewer may change: coordinators only; a board series is not even
    confirmed to exist to those who cannot see the board."""
    access = access_for(request.user)
    if not access.can_coordinate:
        raise PermissionDenied
    return get_object_or_404(Series.objects.visible_to(access), slug=slug)


def _series_form_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(request, f"meetings/manage/{template}", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def series_end(request: HttpRequest, slug: str) -> HttpResponse:
    """End the series from a date in the viewer's zone (or, once ended, reopen it)."""
    series = editable_series(request, slug)
    zone = timezone.get_current_timezone()
    form = EndSeriesForm(request.POST or None, initial={"from_date": timezone.localdate()})
    if request.method == "POST" and series.is_ended:
        messages.info(request, "This series has ended already: nothing changed.")
        return redirect("meetings:series-end", slug=series.slug)
    if request.method == "POST" and form.is_valid():
        start = datetime.datetime.combine(form.cleaned_data["from_date"], datetime.time())
        try:
            result = end_series(
                series=series,
                # Midnight that day in the viewer's zone (or the first instant after a
                # midnight the clocks skip).
                from_instant=timezone.make_aware(start, zone),
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"The series has ended; {result.cancelled} coming meetings are cancelled."
            )
            return redirect(series.get_absolute_url())
    return _series_form_page(request, "series_end.html", {"form": form, "series": series})


@login_required
@require_POST
def series_reopen(request: HttpRequest, slug: str) -> HttpResponse:
    series = editable_series(request, slug)
    if not series.is_ended:
        messages.info(request, "This series is running: nothing changed.")
        return redirect(series.get_absolute_url())
    result = reopen_series(series=series)
    messages.success(
        request,
        f"The series meets again: {result.restored} meetings scheduled again, "
        f"{result.extended.created} created.",
    )
    return redirect(series.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def series_extra(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a one-off meeting to the series, outside its rotation."""
    series = editable_series(request, slug)
    zone = series.main_zone
    form = ExtraMeetingForm(
        request.POST or None,
        initial={"starts_at": [None, None, zone], "duration_minutes": series.duration_minutes},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = add_extra_meeting(
                series=series,
                starts_at=data["starts_at"],
                zone=str(data["starts_at"].tzinfo),
                duration_minutes=data["duration_minutes"],
                topic=data["topic"],
                agenda=data["agenda"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The extra meeting is added.")
            return redirect(meeting.get_absolute_url())
    return _series_form_page(request, "series_extra.html", {"form": form, "series": series})
