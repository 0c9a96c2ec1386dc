"""Per-request viewer time zone, and the MFA rule for chairs and staff."""

from __future__ import annotations

import time
import zoneinfo
from urllib.parse import unquote, urlencode

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.reauthentication import reauthenticate_by_password
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .models import canonical_timezone
from .permissions import access_for

#: The zone a visitor picked with the switcher; wins over profile and browser.
CHOSEN_TZ_COOKIE = "lcoo_tz"
#: The zone the browser reports (set by static/js/timezone.js).
BROWSER_TZ_COOKIE = "lcoo_browser_tz"


def viewer_timezone(request: HttpRequest) -> tuple[str, str]:
    """(zone name, where it came from): chosen, profile, browser or default."""
    # An old name (a browser's Asia/Calcutta, a profile saved before) shows as its zone.
    chosen = canonical_timezone(request.COOKIES.get(CHOSEN_TZ_COOKIE, ""))
    if chosen:
        return chosen, "chosen"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        profile = canonical_timezone(user.time_zone)
        if profile:
            return profile, "profile"
    # The script may have percent-encoded the "/" of the zone name.
    browser = canonical_timezone(unquote(request.COOKIES.get(BROWSER_TZ_COOKIE, "")))
    if browser:
        return browser, "browser"
    return "UTC", "default"


class ViewerTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name, source = viewer_timezone(request)
        request.viewer_tz_name = name
        request.viewer_tz_source = source
        timezone.activate(zoneinfo.ZoneInfo(name))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class RequireMFAMiddleware:
    """Chairs and staff must set up two-factor authentication before anything else."""

    allowed_prefixes = ("/accounts/", "/static/", "/media/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and access_for(user).mfa_required and not _has_mfa(user):
            _count_fresh_sign_in_as_reauthentication(request)
            if not request.path.startswith(self.allowed_prefixes):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)


def _count_fresh_sign_in_as_reauthentication(request: HttpRequest) -> None:
    """allauth asks for the password again before TOTP setup unless it was typed on its
    reauthentication page; a chair sent to that setup right after signing in has just typed
    it. A password sign-in younger than ACCOUNT_REAUTHENTICATION_TIMEOUT counts, for a
    person who has no second factor yet (so none is skipped)."""
    records = get_authentication_records(request, request.user)
    if not records:
        return
    last = records[-1]
    fresh = time.time() - last.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
    if last.get("method") == "password" and not last.get("reauthenticated") and fresh:
        reauthenticate_by_password(request)


def _has_mfa(user) -> bool:
    return is_mfa_enabled(user)
