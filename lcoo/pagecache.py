"""A cache of the public pages as anonymous visitors see them.

Pages are the same for every anonymous visitor in one time zone, so the cache key is
(data version, zone, path): a new visitor in a known zone never misses. Any save or
delete of the group's data bumps the version, which retires every cached page at once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "pagecache:version"
CACHED_PREFIXES = ("/members/", "/meetings/", "/agreements/", "/sub-teams/", "/tools/", "/people/")
NEVER = ("/meetings/manage/", "/meetings/my-calendar/", "/meetings/calendar/")
COPIED_HEADERS = ("Content-Type", "Content-Language", "Vary")


def data_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


def bump_data_version(**_ignored) -> None:
    """Retire every cached page (a signal receiver, and called after bulk changes)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 2, None)


def _cacheable(request: HttpRequest) -> bool:
    path = request.path
    return (
        request.method in ("GET", "HEAD")
        and (path == "/" or path.startswith(CACHED_PREFIXES))
        and not path.startswith(NEVER)
        and not path.endswith(".ics")  # feeds have their own ETag cache
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable(request) or request.user.is_authenticated:
            return self.get_response(request)
        zone = getattr(request, "viewer_tz_name", "UTC")
        source = getattr(request, "viewer_tz_source", "default")
        key = f"page:{data_version()}:{zone}:{source}:{request.get_full_path()}"
        hit = cache.get(key)
        if hit is not None:
            content, headers = hit
            response = HttpResponse(content)
            for name, value in headers.items():
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            # A page with a CSRF token belongs to one visitor.
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and "no-store" not in response.get("Cache-Control", "")
        ):
            response.headers.setdefault("Vary", "Cookie")
            headers = {h: response[h] for h in COPIED_HEADERS if h in response}
            cache.set(key, (response.content, headers), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response
