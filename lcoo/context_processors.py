"""The group the portal runs, by name: for every page (a context processor) and for the
mail rendered outside a request. Imports no app."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def group_names() -> dict[str, str]:
    """The names templates show, read from the settings when asked (never cached)."""
    return {
        "group_name": settings.GROUP_NAME,
        "group_short_name": settings.GROUP_SHORT_NAME,
    }


def group(request: HttpRequest) -> dict[str, str]:
    return group_names()


def subject_prefix() -> str:
    """What every subject of the portal's own notices begins with, e.g. "[LCOO] "."""
    return f"[{settings.GROUP_SHORT_NAME}] "
