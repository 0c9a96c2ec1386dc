"""Small HTTP helpers shared by every app. This module imports no app of the portal."""

from __future__ import annotations

import csv
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


def csv_download(filename: str, header: list[str]) -> tuple[HttpResponse, Any]:
    """A CSV file to download with its header row written, and the writer for its rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    return response, writer


def safe_redirect_target(request: HttpRequest, target: str, default: str) -> str:
    """`target` when it stays on this site (same host, no scheme downgrade), else `default`."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def next_or(request: HttpRequest, default: str) -> str:
    """The `next` parameter of a form or link, when it is safe to follow."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return safe_redirect_target(request, target, default)


def client_ip(request: HttpRequest) -> str:
    """The visitor's address: REMOTE_ADDR, or behind TRUSTED_PROXIES proxies the address
    the outermost of them saw (allauth's rule, so its login limits and the portal's own
    limits count the same client). What a client writes into X-Forwarded-For itself is
    never taken: it stands left of what the trusted proxies appended."""
    return get_adapter(request).get_client_ip(request)


def _rate_key(request: HttpRequest, action: str) -> str:
    return f"ratelimit:{action}:{client_ip(request)}"


def rate_limited(request: HttpRequest, action: str, *, limit: int) -> bool:
    """Has this client used up its `limit` of `action` in the current window?"""
    return (cache.get(_rate_key(request, action)) or 0) >= limit


def count_rate_limited_hit(request: HttpRequest, action: str, *, window: int) -> None:
    key = _rate_key(request, action)
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, window)


class RequestSizeLimitMiddleware:
    """Refuse a body larger than REQUEST_MAX_BYTES (413) from its announced length, so a
    client cannot make a worker read and spool gigabytes before a form says no."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if length > settings.REQUEST_MAX_BYTES:
            limit = settings.REQUEST_MAX_BYTES // (1024 * 1024)
            return HttpResponse(
                f"The request is too large: {length // (1024 * 1024)} MB; the limit is "
                f"{limit} MB (attachments up to 20 MB).",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)
