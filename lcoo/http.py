"""Small HTTP helpers shared by every app. This module imports no app of the portal."""

from __future__ import annotations

import csv
from typing import Any

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
