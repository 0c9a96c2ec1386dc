"""The portal's own pages: the home page and the coordinators' dashboard, which gather
from every app, and the health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from lcoo.models import GroupProfile
from meetings.dst import dst_warnings_for_series_visible_to
from meetings.models import Meeting
from members.models import Company, SubTeam
from members.permissions import access_for
from members.views import CoordinatorRequiredMixin

HOME_MEETINGS = 5


def home(request: HttpRequest) -> HttpResponse:
    next_meetings = (
        Meeting.objects.visible_to(access_for(request.user))
        .upcoming()
        .exclude(status=Meeting.Status.CANCELLED)
        .for_listing()[:HOME_MEETINGS]
    )
    context = {
        "member_count": Company.objects.members().count(),
        "subteam_count": SubTeam.objects.filter(is_active=True).count(),
        "next_meetings": list(next_meetings),
        "profile": GroupProfile.current(),
    }
    return render(request, "lcoo/home.html", context)


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    """The group's own description: what it is for and how it works (the admin edits it)."""
    return render(request, "lcoo/about.html", {"profile": GroupProfile.current()})


class DashboardView(CoordinatorRequiredMixin, ListView):
    """The coordinators' home: what needs their attention."""

    template_name = "lcoo/dashboard.html"
    context_object_name = "incomplete_companies"

    def get_queryset(self):
        return Company.objects.incomplete().with_active_roles()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["dst_warnings"] = dst_warnings_for_series_visible_to(access_for(self.request.user))
        return context


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a query, 503 otherwise (for load balancers and compose)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def floor(request: HttpRequest) -> HttpResponse:
    """A short fixed answer through the whole middleware stack: the benchmark's floor."""
    return HttpResponse("ok\n", content_type="text/plain")
