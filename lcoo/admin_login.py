"""The admin's login address hands over to allauth's login, which asks for the second
factor. Django's own admin login form checks the password only: with it, a staff member
with TOTP would get a session from the password alone."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from .http import safe_redirect_target


@never_cache
def login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """Replaces `admin.site.login`; a POST is answered like a GET and logs nobody in."""
    target = safe_redirect_target(
        request, request.GET.get(REDIRECT_FIELD_NAME, ""), reverse("admin:index")
    )
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return HttpResponseRedirect(target)
        # Logged in without staff status: allauth's login would only send them back here.
        raise PermissionDenied
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
