from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from lcoo.http import csv_download, csv_safe, next_or
from members.models import Company, today
from members.permissions import Access, access_for

from . import permissions, selectors, services
from .forms import (
    ActionItemFilterForm,
    ActionItemForm,
    AgreementForm,
    AgreementStatusForm,
    AssignTopicForm,
    ForumTopicForm,
    PositionForm,
    RegisterFilterForm,
)
from .models import ActionItem, Agreement, ForumTopic

PAGE_SIZE = 25


def _require_editor(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not permissions.can_edit_agreements(access):
        raise PermissionDenied
    return access


def _visible_agreement(request: HttpRequest, slug: str, queryset=None) -> Agreement:
    # Items the viewer may not see answer 404, like items that do not exist.
    queryset = queryset if queryset is not None else Agreement.objects.all()
    return get_object_or_404(queryset.visible_to(access_for(request.user)), slug=slug)


def _utc(value: datetime.datetime | None) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _add_errors(form, error: ValidationError) -> None:
    """Show a service's errors on the form: on their field when the form has it, above
    the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _form_page(request: HttpRequest, template_name: str, context: dict) -> HttpResponse:
    """A form's page: answered with 400 when a POST comes back to it with errors."""
    return render(request, template_name, context, status=400 if request.method == "POST" else 200)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# The register ----------------------------------------------------------------------


class AgreementListView(ListView):
    """The public register: full-text search, filters, pagination."""

    template_name = "agreements/agreement_list.html"
    context_object_name = "agreements"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        access = access_for(self.request.user)
        visible = Agreement.objects.visible_to(access)
        self.filter_form = RegisterFilterForm(
            self.request.GET or None,
            access=access,
            first_year=RegisterFilterForm.first_year(visible),
        )
        return self.filter_form.filter(visible.for_listing())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["searching"] = self.filter_form.is_valid() and bool(
            self.filter_form.cleaned_data["q"].strip()
        )
        context["query"] = _query_without_page(self.request)
        return context


def agreement_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    agreement = _visible_agreement(
        request,
        slug,
        Agreement.objects.select_related(
            "proposing_company",
            "proposed_by",
            "decided_at__series",
            "decided_at__slot",
            "supersedes",
            "superseded_by",
        ).prefetch_related("topics", selectors.visible_meetings_prefetch(access)),
    )
    decided_at = agreement.decided_at
    speaks = access.chair or bool(permissions.speaks_for(access))
    context = {
        "agreement": agreement,
        "decided_at": decided_at if decided_at and access.can_see_meeting(decided_at) else None,
        "supersedes": _if_visible(access, agreement.supersedes),
        "superseded_by": _if_visible(access, agreement.successor),
        "positions": selectors.positions_by_company(agreement),
        "action_items": list(
            ActionItem.objects.visible_to(access).filter(agreement=agreement).for_listing()
        ),
        "history": selectors.agreement_history(agreement=agreement, access=access),
        "can_edit": permissions.can_edit_agreements(access),
        "can_record_position": speaks and agreement.is_open,
        "today": today(),
    }
    return render(request, "agreements/agreement_detail.html", context)


def _if_visible(access: Access, agreement: Agreement | None) -> Agreement | None:
    if agreement is not None and permissions.can_see_agreement(access, agreement):
        return agreement
    return None


@login_required
def agreement_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    access = _require_editor(request)
    agreement = _visible_agreement(request, slug) if slug else Agreement()
    form = AgreementForm(request.POST or None, instance=agreement, access=access)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_agreement(
                agreement=form.instance,
                actor=request.user,
                topics=list(form.cleaned_data["topics"]),
                new_topic_names=form.new_topic_names,
                discussed_at=form.discussed_meetings(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Saved in the register." if slug else "Proposal recorded.")
            if restricted := saved.restricted_action_items:
                messages.info(request, services.restriction_notice(saved, restricted))
            return redirect(saved.get_absolute_url())
    return _form_page(
        request,
        "agreements/agreement_form.html",
        {"form": form, "agreement": agreement if slug else None},
    )


@login_required
def agreement_status(request: HttpRequest, slug: str) -> HttpResponse:
    access = _require_editor(request)
    agreement = _visible_agreement(request, slug)
    form = AgreementStatusForm(request.POST or None, agreement=agreement, access=access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_agreement_status(
                agreement=agreement,
                status=data["status"],
                actor=request.user,
                meeting=data["meeting"],
                decided_on=data["decided_on"],
                note=data["note"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Now {agreement.Status(data['status']).label.lower()}.")
            return redirect(agreement.get_absolute_url())
    return _form_page(
        request, "agreements/status_form.html", {"form": form, "agreement": agreement}
    )


@login_required
def agreement_position(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    agreement = _visible_agreement(request, slug)
    if not (access.chair or permissions.speaks_for(access)):
        raise PermissionDenied
    form = PositionForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        company = form.cleaned_data["company"]
        if not permissions.can_speak_for_company(access, company):
            raise PermissionDenied
        try:
            services.record_position(
                agreement=agreement,
                company=company,
                stance=form.cleaned_data["stance"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{company.name}'s position is recorded.")
            return redirect(agreement.get_absolute_url())
    return _form_page(
        request, "agreements/position_form.html", {"form": form, "agreement": agreement}
    )


def register_csv(request: HttpRequest) -> HttpResponse:
    """The register as CSV: the items the viewer may see, with the list's filters."""
    access = access_for(request.user)
    visible = Agreement.objects.visible_to(access)
    form = RegisterFilterForm(request.GET or None, access=access, first_year=None)
    agreements = form.filter(visible.for_listing()).select_related(
        "decided_at__series", "supersedes"
    )
    response, writer = csv_download(
        "agreements.csv",
        [
            "slug",
            "title",
            "status",
            "visibility",
            "proposing_company",
            "proposed_on",
            "decided_on",
            "decided_at_meeting",
            "decided_at_utc",
            "supersedes",
            "topics",
            "summary",
            "url",
        ],
    )
    for item in agreements:
        meeting = item.decided_at if item.decided_at_id else None
        if meeting is not None and not access.can_see_meeting(meeting):
            meeting = None
        supersedes = _if_visible(access, item.supersedes)
        writer.writerow(
            [
                item.slug,
                csv_safe(item.title),
                item.status,
                item.visibility,
                csv_safe(item.proposing_company.name if item.proposing_company else ""),
                item.proposed_on.isoformat(),
                item.decided_on.isoformat() if item.decided_on else "",
                csv_safe(meeting.title) if meeting else "",
                _utc(meeting.starts_at) if meeting else "",
                supersedes.slug if supersedes else "",
                csv_safe("; ".join(t.name for t in item.topics.all())),
                csv_safe(item.summary),
                settings.SITE_URL + item.get_absolute_url(),
            ]
        )
    return response


# Action items ----------------------------------------------------------------------


class ActionItemListView(ListView):
    template_name = "agreements/action_item_list.html"
    context_object_name = "items"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = ActionItemFilterForm(self.request.GET or None)
        items = ActionItem.objects.visible_to(access_for(self.request.user)).for_listing()
        return self.filter_form.filter(items).open_first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["today"] = today()
        context["query"] = _query_without_page(self.request)
        return context


@login_required
def action_item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    access = _require_editor(request)
    if pk is None:
        item = ActionItem()
        initial = {}
        if (meeting := request.GET.get("meeting", "")).isdigit():
            initial["raised_at"] = int(meeting)
        if agreement_slug := request.GET.get("agreement"):
            initial["agreement"] = (
                Agreement.objects.visible_to(access)
                .filter(slug=agreement_slug)
                .values_list("pk", flat=True)
                .first()
            )
    else:
        item = get_object_or_404(
            ActionItem.objects.visible_to(access).select_related("raised_at__series"), pk=pk
        )
        initial = {}
    form = ActionItemForm(request.POST or None, instance=item, initial=initial, access=access)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_action_item(item=form.instance, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The action item is saved.")
            return redirect(next_or(request, saved.raised_at.get_absolute_url()))
    return _form_page(
        request, "agreements/action_item_form.html", {"form": form, "item": item if pk else None}
    )


@login_required
@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    access = _require_editor(request)
    item = get_object_or_404(
        ActionItem.objects.visible_to(access).select_related("raised_at__series"), pk=pk
    )
    action = request.POST.get("status", "")
    try:
        if action == "open":
            services.reopen_action_item(item=item, actor=request.user)
        elif action in (ActionItem.Status.DONE, ActionItem.Status.DROPPED):
            services.close_action_item(item=item, status=action, actor=request.user)
        else:
            raise ValidationError("Choose done, dropped or open.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"“{item.title}” is {'open again' if action == 'open' else action}."
        )
    return redirect(next_or(request, reverse("agreements:action-items")))


def action_items_csv(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    form = ActionItemFilterForm(request.GET or None)
    items = form.filter(ActionItem.objects.visible_to(access).for_listing()).open_first()
    on = today()
    response, writer = csv_download(
        "action-items.csv",
        [
            "id",
            "title",
            "status",
            "owner",
            "company",
            "due_on",
            "overdue",
            "raised_at_meeting",
            "raised_at_utc",
            "agreement",
            "closed_at_utc",
        ],
    )
    for item in items:
        owner = item.owner if item.owner and access.can_see_person(item.owner) else None
        agreement = _if_visible(access, item.agreement)
        writer.writerow(
            [
                item.pk,
                csv_safe(item.title),
                item.status,
                csv_safe(owner.full_name) if owner else "",
                csv_safe(item.company.name) if item.company else "",
                item.due_on.isoformat() if item.due_on else "",
                "yes" if item.is_overdue(on) else "no",
                csv_safe(item.raised_at.title),
                _utc(item.raised_at.starts_at),
                agreement.slug if agreement else "",
                _utc(item.closed_at),
            ]
        )
    return response


# Forum topics ----------------------------------------------------------------------


def forum_topic_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    topics = list(ForumTopic.objects.for_listing().order_by("-created_at", "-pk"))
    by_status = {status: [] for status in ForumTopic.Status.values}
    for topic in topics:
        by_status[topic.status].append(topic)
    # A forum's date sorts the scheduled ones; the most wanted topics lead the backlog.
    by_status["scheduled"].sort(key=lambda t: t.forum.starts_at)
    by_status["presented"].sort(key=lambda t: t.forum.starts_at, reverse=True)
    by_status["proposed"].sort(key=lambda t: -len(t.interested_companies.all()))
    context = {
        "backlog": by_status["proposed"],
        "scheduled": [t for t in by_status["scheduled"] if access.can_see_meeting(t.forum)],
        "presented": [t for t in by_status["presented"] if access.can_see_meeting(t.forum)],
        "dropped": by_status["dropped"],
        "can_edit": permissions.can_edit_agreements(access),
        "my_companies": _my_companies(access),
    }
    return render(request, "agreements/forum_topic_list.html", context)


def _my_companies(access: Access) -> list[Company]:
    """The member companies whose interest the viewer records (one query, none for most)."""
    if access.chair:
        return list(Company.objects.members().only("name", "slug"))
    if speaks_for := permissions.speaks_for(access):
        return list(Company.objects.members().filter(pk__in=speaks_for))
    return []


def forum_topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    topic = get_object_or_404(
        ForumTopic.objects.for_listing().select_related("proposed_by"), slug=slug
    )
    forum = topic.forum if topic.forum and access.can_see_meeting(topic.forum) else None
    context = {
        "topic": topic,
        "forum": forum,
        "interested": list(topic.interested_companies.all()),
        "can_edit": permissions.can_edit_agreements(access),
        "my_companies": _my_companies(access) if topic.is_open else [],
    }
    return render(request, "agreements/forum_topic_detail.html", context)


@login_required
def forum_topic_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    access = _require_editor(request)
    topic = get_object_or_404(ForumTopic, slug=slug) if slug else None
    form = ForumTopicForm(request.POST or None, instance=topic, access=access)
    if topic is not None:
        # Editing keeps the proposer; only the text changes.
        del form.fields["proposed_by_company"]
    if request.method == "POST" and form.is_valid():
        try:
            if topic is None:
                saved = services.propose_forum_topic(
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    company=form.cleaned_data["proposed_by_company"],
                    actor=request.user,
                )
            else:
                saved = services.save_forum_topic(topic=form.instance)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The topic is saved.")
            return redirect(saved.get_absolute_url())
    return _form_page(request, "agreements/forum_topic_form.html", {"form": form, "topic": topic})


@login_required
@require_POST
def forum_topic_interest(request: HttpRequest, slug: str) -> HttpResponse:
    access = access_for(request.user)
    topic = get_object_or_404(ForumTopic, slug=slug)
    company = get_object_or_404(Company, slug=request.POST.get("company", ""))
    if not permissions.can_speak_for_company(access, company):
        raise PermissionDenied
    interested = request.POST.get("interested") == "1"
    try:
        services.set_interest(topic=topic, company=company, interested=interested)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{company.name} is {'interested in' if interested else 'no longer interested in'} "
            f"“{topic.title}”.",
        )
    return redirect(next_or(request, topic.get_absolute_url()))


@login_required
def forum_topic_assign(request: HttpRequest, slug: str) -> HttpResponse:
    access = _require_editor(request)
    topic = get_object_or_404(ForumTopic.objects.for_listing(), slug=slug)
    initial = {"presenting_companies": list(topic.interested_companies.all())}
    form = AssignTopicForm(request.POST or None, initial=initial, access=access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assign_forum_topic(
                topic=topic,
                forum=data["forum"],
                general_meeting=data["general_meeting"],
                presenting_companies=list(data["presenting_companies"]),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"“{topic.title}” is on the forum's programme.")
            return redirect(data["forum"].get_absolute_url())
    return _form_page(request, "agreements/assign_form.html", {"form": form, "topic": topic})


@login_required
@require_POST
def forum_topic_status(request: HttpRequest, slug: str) -> HttpResponse:
    _require_editor(request)
    topic = get_object_or_404(ForumTopic, slug=slug)
    try:
        services.move_forum_topic(topic=topic, action=request.POST.get("action", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The topic is updated.")
    return redirect(topic.get_absolute_url())


# Participation ---------------------------------------------------------------------


def company_participation(request: HttpRequest, slug: str) -> HttpResponse:
    company = get_object_or_404(Company.objects.exclude(status=Company.Status.APPLICANT), slug=slug)
    participation = selectors.company_participation(
        company=company, access=access_for(request.user)
    )
    return render(
        request,
        "agreements/company_participation.html",
        {"company": company, "p": participation, "now": timezone.now()},
    )
