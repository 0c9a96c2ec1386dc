"""Joining: the public form, the applicant's status page, the coordinators' view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lcoo.http import count_rate_limited_hit, rate_limited
from meetings.models import Meeting, Series
from members.permissions import access_for

from . import services
from .forms import ApplicationActionForm, JoinForm, WithdrawForm
from .models import JoinApplication

State = JoinApplication.State

# Accepted applications and honeypot hits per client (lcoo.http.client_ip) and hour. A
# form sent back with errors is not counted: someone correcting typos must not lock
# themselves out.
RATE_LIMIT = 5
RATE_WINDOW = 3600  # seconds


def next_general_meeting() -> Meeting | None:
    return (
        Meeting.objects.filter(
            series__kind=Series.Kind.GENERAL,
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .select_related("series", "slot")
        .order_by("starts_at")
        .first()
    )


def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if rate_limited(request, "join", limit=RATE_LIMIT):
            form.add_error(
                None, "Too many applications from your network in the last hour; try again later."
            )
            status = 429
        elif form.is_spam:
            # Answer as if it worked, so a bot learns nothing; save nothing.
            count_rate_limited_hit(request, "join", window=RATE_WINDOW)
            return redirect("joining:join-thanks")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.submit_application(
                    company_name=data["company_name"],
                    website=data["website"],
                    hq_timezone=data["hq_timezone"],
                    contact_name=data["contact_name"],
                    contact_email=data["contact_email"],
                    contact_role=data["contact_role"],
                    interests=data["interests"],
                    coordinators=form.coordinators(),
                    executive=(data["executive_name"], data["executive_email"]),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                count_rate_limited_hit(request, "join", window=RATE_WINDOW)
                return redirect("joining:join-thanks")
        if status == 200:
            status = 400
    context = {"form": form, "next_general": next_general_meeting()}
    return render(request, "joining/join.html", context, status=status)


def join_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "joining/join_thanks.html")


def join_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        # A GET only shows the button: mail scanners that open links confirm nothing.
        return render(request, "joining/join_confirm.html", {"token": token})
    try:
        application = services.confirm_email(token=token)
    except ValidationError as error:
        return render(
            request, "joining/join_confirm.html", {"error": error.messages[0]}, status=400
        )
    return redirect("joining:join-status", token=application.status_token)


def join_status(request: HttpRequest, token: str) -> HttpResponse:
    application = get_object_or_404(
        JoinApplication.objects.prefetch_related("events"), status_token=token
    )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(application=application, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The application is withdrawn.")
            return redirect("joining:join-status", token=token)
    response = render(
        request,
        "joining/join_status.html",
        {"application": application, "form": form},
        status=400 if request.method == "POST" else 200,
    )
    response["Referrer-Policy"] = "no-referrer"  # the URL is the secret
    response["Cache-Control"] = "private, no-store"
    return response


def _coordinator(request: HttpRequest):
    if not access_for(request.user).can_coordinate:
        raise PermissionDenied
    return request.user


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    applications = JoinApplication.objects.prefetch_related("delegates")
    by_state = {state: [] for state, _ in State.choices}
    for application in applications:
        by_state[application.state].append(application)
    columns = [(State(state).label, items) for state, items in by_state.items() if items]
    return render(request, "joining/application_list.html", {"columns": columns})


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    application = get_object_or_404(
        JoinApplication.objects.prefetch_related(
            "delegates", "events__actor", "events__meeting__series"
        ),
        pk=pk,
    )
    context = {
        "application": application,
        "allowed": services.allowed_next(application),
        "attended": list(services.general_meetings_attended(application)),
        "general_meetings": list(services.meetings_for_step(State.DESIRE_EXPRESSED)[:12]),
        "board_meetings": list(services.meetings_for_step(State.WELCOME_SCHEDULED)[:6]),
        "form": ApplicationActionForm(),
    }
    return render(request, "joining/application_detail.html", context)


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _coordinator(request)
    application = get_object_or_404(JoinApplication, pk=pk)
    form = ApplicationActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an action (and a meeting from the list).")
        return redirect("joining:application-detail", pk=pk)
    action, note = form.cleaned_data["action"], form.cleaned_data["note"]
    meeting = None
    if form.cleaned_data["meeting"]:
        meeting = (
            Meeting.objects.select_related("series").filter(pk=form.cleaned_data["meeting"]).first()
        )
    # The services check the state and the meeting; the view only reports their answer.
    steps = {
        "participating": lambda: services.mark_participating(
            application=application, actor=actor, note=note
        ),
        "desire": lambda: services.record_desire(
            application=application, meeting=meeting, actor=actor, note=note
        ),
        "schedule": lambda: services.schedule_welcome(
            application=application, meeting=meeting, actor=actor
        ),
        "welcome": lambda: services.welcome(application=application, actor=actor, note=note),
        "decline": lambda: services.decline(application=application, actor=actor, reason=note),
        "withdraw": lambda: services.withdraw(application=application, actor=actor, reason=note),
    }
    try:
        steps[action]()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        application.refresh_from_db()
        messages.success(request, f"Now: {application.get_state_display()}.")
    return redirect("joining:application-detail", pk=pk)
