"""Per-request viewer time zone, and the MFA rule for chairs and staff."""

from __future__ import annotations

import zoneinfo
from urllib.parse import unquote, urlencode

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
        if (
            user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes)
            and access_for(user).mfa_required
            and not _has_mfa(user)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)


def _has_mfa(user) -> bool:
    return is_mfa_enabled(user)
