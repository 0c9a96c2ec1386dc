"""The portal's own pages: the home page and the coordinators' dashboard, which gather
from every app, and the health check."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from lcoo.dashboard import dashboard_for
from lcoo.models import GroupProfile
from meetings.attendance import Participation, participation_by
from meetings.dst import dst_warnings_for_series_visible_to
from meetings.models import Attendance, Meeting
from members import services as member_services
from members.forms import CompanyProfileForm, RoleProposalForm
from members.models import Company, Person, Role, RoleProposal, SubTeam
from members.permissions import access_for

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


class DashboardView(LoginRequiredMixin, TemplateView):
    """Everyone's home once signed in: their next meetings and action items; for
    coordinators and chairs, what the group needs of them."""

    template_name = "lcoo/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        access = access_for(self.request.user)
        context.update(dashboard_for(self.request.user, access))
        if access.can_coordinate:
            context["incomplete_companies"] = Company.objects.incomplete().with_active_roles()
            context["dst_warnings"] = dst_warnings_for_series_visible_to(access)
        return context


PARTICIPATION_WINDOW = datetime.timedelta(days=365)


@login_required
def my_company_index(request: HttpRequest) -> HttpResponse:
    """A coordinator's way to their company: straight there, or a choice when several."""
    access = access_for(request.user)
    companies = list(Company.objects.members().filter(pk__in=access.coordinator_of))
    if not companies:
        return HttpResponse("This page is for the coordinators of a member company.", status=403)
    if len(companies) == 1:
        return redirect("portal:my-company-detail", slug=companies[0].slug)
    return render(request, "lcoo/my_company_index.html", {"companies": companies})


def _company_participation(company: Company, access) -> Participation:
    """Held meetings the company's people attended in the last twelve months, as the viewer
    may see them (the board's attendance is the board's business)."""
    since = timezone.now() - PARTICIPATION_WINDOW
    rows = Attendance.objects.filter(
        company=company,
        meeting__status=Meeting.Status.HELD,
        meeting__starts_at__gte=since,
        meeting__in=Meeting.objects.visible_to(access),
    ).values_list(
        "company_id", "company__name", "meeting_id", "meeting__series__kind", "meeting__starts_at"
    )
    empty = Participation(name=company.name, by_kind={}, last_attended=None)
    return participation_by(rows).get(company.pk, empty)


@login_required
def my_company(request: HttpRequest, slug: str) -> HttpResponse:
    """A coordinator looks after their company: its profile, people, participation, and
    proposals of new coordinators and executives."""
    access = access_for(request.user)
    company = get_object_or_404(Company.objects.members(), slug=slug)
    if not access.can_coordinate_company(company):
        return HttpResponse("Only the coordinators of this company may see this page.", status=403)
    profile_form = CompanyProfileForm(instance=company, prefix="profile")
    proposal_form = RoleProposalForm(company=company, prefix="proposal")
    status = 200
    if request.method == "POST":
        status = 400
        if "profile-website" in request.POST:
            profile_form = CompanyProfileForm(request.POST, instance=company, prefix="profile")
            if profile_form.is_valid():
                profile_form.save()
                messages.success(request, f"The profile of {company.name} is saved.")
                return redirect("portal:my-company-detail", slug=company.slug)
            # What was typed stays in the form; the company shown keeps its saved name.
            company.refresh_from_db()
        else:
            proposal_form = RoleProposalForm(request.POST, company=company, prefix="proposal")
            if proposal_form.is_valid():
                try:
                    proposal = member_services.propose_role(
                        company=company, **proposal_form.cleaned_data, proposed_by=request.user
                    )
                except ValidationError as error:
                    proposal_form.add_error(None, error)
                else:
                    messages.success(request, f"Proposed: {proposal}. The chairs are told.")
                    return redirect("portal:my-company-detail", slug=company.slug)
    active_roles = Role.objects.active().filter(company=company).order_by("kind")
    people = (
        Person.objects.filter(is_active=True)
        .filter(Q(company=company) | Q(roles__in=active_roles))
        .distinct()
        .prefetch_related(Prefetch("roles", queryset=active_roles, to_attr="company_roles"))
        .order_by("full_name")
    )
    context = {
        "company": company,
        "profile_form": profile_form,
        "proposal_form": proposal_form,
        "people": people,
        "participation": _company_participation(company, access),
        "proposals": RoleProposal.objects.filter(company=company)
        .select_related("person", "proposed_by", "decided_by")
        .order_by("-created_at")[:20],
    }
    return render(request, "lcoo/my_company.html", context, status=status)


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
