from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import DetailView, ListView, UpdateView

from lcoo.http import safe_redirect_target

from . import services
from .forms import (
    DecisionForm,
    LeaveForm,
    ProfileForm,
    ReplaceRoleForm,
    RoleGrantForm,
    SubTeamForm,
    SubTeamMembershipForm,
    TimezoneSwitchForm,
)
from .middleware import CHOSEN_TZ_COOKIE
from .models import (
    Company,
    Person,
    Role,
    RoleProposal,
    SubTeam,
    SubTeamMembership,
    ToolLink,
    today,
)
from .permissions import access_for


class CoordinatorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    def test_func(self) -> bool:
        return access_for(self.request.user).can_coordinate


class RoleManagerRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    def test_func(self) -> bool:
        return access_for(self.request.user).can_manage_roles


class CompanyListView(ListView):
    template_name = "members/company_list.html"
    context_object_name = "companies"

    def get_queryset(self):
        return Company.objects.members().with_active_roles()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["former_companies"] = Company.objects.filter(status=Company.Status.FORMER)
        return context


class CompanyDetailView(DetailView):
    template_name = "members/company_detail.html"
    context_object_name = "company"

    def get_queryset(self):
        # Applicants are not public: their application is handled by coordinators.
        return Company.objects.exclude(status=Company.Status.APPLICANT).with_active_roles()


class PersonDetailView(DetailView):
    template_name = "members/person_detail.html"
    context_object_name = "person"

    def get_object(self, queryset=None):
        person = get_object_or_404(
            Person.objects.select_related("company").prefetch_related(
                Prefetch(
                    "roles",
                    queryset=Role.objects.active().select_related("company"),
                    to_attr="active_roles",
                )
            ),
            pk=self.kwargs["pk"],
            is_active=True,
        )
        if not access_for(self.request.user).can_see_person(person):
            # Same answer as for a person who does not exist: a private profile is not
            # even confirmed to exist.
            raise Http404
        return person


class SubTeamListView(ListView):
    template_name = "members/subteam_list.html"
    context_object_name = "sub_teams"

    def get_queryset(self):
        return (
            SubTeam.objects.filter(is_active=True)
            .select_related("lead")
            .annotate(member_count=Count("memberships"))
        )


class SubTeamDetailView(DetailView):
    template_name = "members/subteam_detail.html"
    context_object_name = "sub_team"

    def get_queryset(self):
        return SubTeam.objects.select_related("lead").prefetch_related(
            Prefetch(
                "memberships",
                queryset=SubTeamMembership.objects.select_related("person__company"),
            )
        )


class ToolListView(ListView):
    template_name = "members/tool_list.html"
    context_object_name = "tools"
    queryset = ToolLink.objects.filter(is_visible=True)


class ProfileView(LoginRequiredMixin, UpdateView):
    form_class = ProfileForm
    template_name = "members/profile_form.html"
    success_url = reverse_lazy("members:profile")

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        messages.success(self.request, "Your profile is saved.")
        return super().form_valid(form)


@require_safe
def switch_timezone(request: HttpRequest) -> HttpResponse:
    """Remember the zone a visitor picked, in a cookie. A GET: it changes nothing on the
    server, and pages with the switcher stay free of per-visitor CSRF tokens."""
    form = TimezoneSwitchForm(request.GET)
    target = safe_redirect_target(request, request.GET.get("next", ""), reverse("portal:home"))
    response = HttpResponseRedirect(target)
    if form.is_valid():
        response.set_cookie(
            CHOSEN_TZ_COOKIE,
            form.cleaned_data["tz"],
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    else:
        problem = " ".join(form.errors.get("tz", ["That is not a time zone we offer."]))
        messages.error(request, f"{problem} Times are shown as before.")
    return response


class RoleListView(RoleManagerRequiredMixin, ListView):
    template_name = "members/role_list.html"
    context_object_name = "roles"

    def get_queryset(self):
        return (
            Role.objects.active()
            .select_related("person", "company")
            .order_by("kind", "company__name", "person__full_name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RoleGrantForm())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RoleGrantForm(request.POST)
        if form.is_valid():
            try:
                # The form's fields (the role's person, kind, company, dates and note) are the
                # service's arguments.
                role = services.grant_role(**form.cleaned_data, granted_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Granted: {role}.")
                return redirect("members:roles")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)


@login_required
@require_POST
def end_role(request: HttpRequest, pk: int) -> HttpResponse:
    if not access_for(request.user).can_manage_roles:
        return HttpResponse(
            "Only chairs, and staff allowed to change roles, may end roles.", status=403
        )
    role = get_object_or_404(Role.objects.active().select_related("person", "company"), pk=pk)
    try:
        services.end_role(role=role)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Ended: {role}.")
    return redirect("members:roles")


ROLE_MANAGERS_ONLY = "Only chairs, and staff allowed to change roles, may do this."


def _refuse_unless_role_manager(request: HttpRequest) -> HttpResponse | None:
    if not access_for(request.user).can_manage_roles:
        return HttpResponse(ROLE_MANAGERS_ONLY, status=403)
    return None


@login_required
def company_leave(request: HttpRequest, slug: str) -> HttpResponse:
    """A chair records that a member company leaves the group."""
    if refused := _refuse_unless_role_manager(request):
        return refused
    company = get_object_or_404(Company, slug=slug)
    status = 200
    if not company.is_member:
        form = None
        if request.method == "POST":
            messages.error(
                request,
                f"{company.name} is not a member company "
                f"({company.get_status_display().lower()}); nothing was changed.",
            )
            return redirect(company)
    elif request.method == "POST":
        form = LeaveForm(request.POST, company=company)
        if form.is_valid():
            try:
                services.mark_company_former(
                    company=company,
                    left_on=form.cleaned_data["left_on"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{company.name} is now a former member.")
                return redirect(company)
        status = 400
    else:
        form = LeaveForm(company=company)
    open_roles = (
        Role.objects.filter(company=company)
        .overlapping(today(), None)
        .select_related("person")
        .order_by("kind", "person__full_name")
    )
    context = {"company": company, "form": form, "open_roles": open_roles}
    return render(request, "members/company_leave.html", context, status=status)


@login_required
def company_replace_role(request: HttpRequest, slug: str) -> HttpResponse:
    """A chair replaces a company's executive or one of its coordinators in one step."""
    if refused := _refuse_unless_role_manager(request):
        return refused
    company = get_object_or_404(Company.objects.members().with_active_roles(), slug=slug)
    status = 200
    if request.method == "POST":
        form = ReplaceRoleForm(request.POST, company=company)
        if form.is_valid():
            data = form.cleaned_data
            try:
                role = services.hand_over_role(
                    company=company,
                    kind=data["kind"],
                    leaving=data["leaving"],
                    arriving=data["arriving"],
                    starts_on=data["starts_on"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Granted: {role}.")
                return redirect(company)
        status = 400
    else:
        form = ReplaceRoleForm(company=company)
    context = {"company": company, "form": form}
    return render(request, "members/company_replace_role.html", context, status=status)


class RoleProposalListView(RoleManagerRequiredMixin, ListView):
    """Pending proposals of coordinators, for chairs to decide; and the last decided."""

    template_name = "members/roleproposal_list.html"
    context_object_name = "proposals"
    DECIDED_SHOWN = 20

    def get_queryset(self):
        return RoleProposal.objects.filter(status=RoleProposal.Status.PENDING).select_related(
            "company", "person", "proposed_by"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["decided"] = (
            RoleProposal.objects.exclude(status=RoleProposal.Status.PENDING)
            .select_related("company", "person", "decided_by")
            .order_by("-decided_at")[: self.DECIDED_SHOWN]
        )
        context.setdefault("form", DecisionForm())
        return context


@login_required
@require_POST
def role_proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if refused := _refuse_unless_role_manager(request):
        return refused
    proposal = get_object_or_404(RoleProposal, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        view = RoleProposalListView()
        view.setup(request)
        view.object_list = view.get_queryset()
        context = view.get_context_data(form=form, failed=proposal.pk)
        return render(request, view.template_name, context, status=400)
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "approve":
            services.approve_proposal(proposal=proposal, by=request.user, note=note)
        else:
            services.decline_proposal(proposal=proposal, by=request.user, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Nothing was changed.")
    else:
        proposal.refresh_from_db()
        messages.success(request, f"Proposal {proposal.get_status_display().lower()}: {proposal}.")
    return redirect("members:role-proposals")


COORDINATORS_ONLY = "Only coordinators and chairs may change sub-teams."


def _sub_team_with_members(slug: str) -> SubTeam:
    return get_object_or_404(
        SubTeam.objects.select_related("lead").prefetch_related(
            Prefetch(
                "memberships",
                queryset=SubTeamMembership.objects.select_related("person__company"),
            )
        ),
        slug=slug,
    )


@login_required
def sub_team_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Coordinators start a sub-team or change one, and who takes part in it."""
    if not access_for(request.user).can_coordinate:
        return HttpResponse(COORDINATORS_ONLY, status=403)
    sub_team = _sub_team_with_members(slug) if slug else None
    form = SubTeamForm(instance=sub_team, prefix="team")
    member_form = SubTeamMembershipForm(prefix="member")
    status = 200
    if request.method == "POST":
        status = 400
        if "member-person" in request.POST and sub_team is not None:
            member_form = SubTeamMembershipForm(request.POST, prefix="member")
            if member_form.is_valid():
                try:
                    membership = services.add_sub_team_member(
                        sub_team=sub_team, **member_form.cleaned_data
                    )
                except ValidationError as error:
                    member_form.add_error(None, error)
                else:
                    messages.success(request, f"Added: {membership}.")
                    return redirect("members:subteam-edit", slug=sub_team.slug)
        else:
            form = SubTeamForm(request.POST, instance=sub_team, prefix="team")
            if form.is_valid():
                try:
                    if sub_team is None:
                        saved = services.create_sub_team(sub_team=form.save(commit=False))
                    else:
                        saved = form.save()
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, f"{saved.name} is saved.")
                    return redirect("members:subteam-edit", slug=saved.slug)
            if sub_team is not None:
                # The name shown stays the saved one while the form keeps what was typed.
                sub_team.refresh_from_db()
    context = {"sub_team": sub_team, "form": form, "member_form": member_form}
    return render(request, "members/subteam_form.html", context, status=status)


@login_required
@require_POST
def sub_team_member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    if not access_for(request.user).can_coordinate:
        return HttpResponse(COORDINATORS_ONLY, status=403)
    membership = get_object_or_404(
        SubTeamMembership.objects.select_related("person", "sub_team"), pk=pk, sub_team__slug=slug
    )
    membership.delete()
    messages.success(request, f"Removed: {membership}.")
    return redirect("members:subteam-edit", slug=slug)
