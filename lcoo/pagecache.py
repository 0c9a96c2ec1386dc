"""A cache of the public pages as anonymous visitors see them.

Pages are the same for every anonymous visitor in one time zone, so the cache key is
(data version, zone, host, path and query): a new visitor in a known zone never misses.
A page is kept only when its view read every parameter of the query string, so made-up
parameter names (`?junk=1`, `?junk=2`…) cannot fill the cache: such pages are computed,
not kept. Absolute links in pages are built from SITE_URL, never from the request's Host.
Any save or delete of the group's data bumps the version, which retires every cached
page at once.
It needs a cache that every process shares (settings.PAGE_CACHE_SECONDS is 0 without
one), and it survives that cache going away: pages are then computed, and a bump that
could not be written is written by this process as soon as the cache is back.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict

VERSION_KEY = "pagecache:version"
CHANGED_AT_KEY = "pagecache:changed-at"
CACHED_PREFIXES = ("/members/", "/meetings/", "/agreements/", "/sub-teams/", "/tools/", "/people/")
NEVER = ("/meetings/manage/", "/meetings/my-calendar/", "/meetings/calendar/")
COPIED_HEADERS = ("Content-Type", "Content-Language", "Vary")

#: This process changed data while the cache was away: bump once it answers again.
_bump_pending = False


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def data_version() -> int:
    global _bump_pending
    if _bump_pending:
        _bump_pending = not _bump()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


def data_changed_at() -> int:
    """When the group's data last changed, as far as the cache knows (a Unix time); now,
    when it does not know (an empty or absent cache): later rather than too early."""
    changed = cache.get(CHANGED_AT_KEY)
    if changed is None:
        changed = int(time.time())
        cache.add(CHANGED_AT_KEY, changed, None)
    return changed


def bump_data_version(**_ignored) -> None:
    """Retire every cached page (a signal receiver, and called after bulk changes)."""
    global _bump_pending
    if not _bump():
        _bump_pending = True


def _bump() -> bool:
    """Bump the version; False when the cache did not take it."""
    cache.set(CHANGED_AT_KEY, int(time.time()), None)
    try:
        return cache.incr(VERSION_KEY) is not None
    except ValueError:  # no version yet (an empty cache): any new one retires nothing
        cache.add(VERSION_KEY, 2, None)
        return True


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


class _ReadTrackingQuery(QueryDict):
    """request.GET that remembers which parameters the view asked for by name."""

    def __init__(
        self, query_string: str | None = None, mutable: bool = False, encoding: str | None = None
    ):
        self.read: set[str] = set()  # before parsing, which looks keys up too
        super().__init__(query_string, mutable=mutable, encoding=encoding)
        self.read.clear()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return super().__contains__(key)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def unread(self) -> set[str]:
        return set(self.keys()) - self.read


def _group_tag() -> str:
    """Every page names the group: pages cached under other names (before a restart with
    new GROUP_NAME/GROUP_SHORT_NAME, in a shared cache) are never served."""
    names = f"{settings.GROUP_NAME}\n{settings.GROUP_SHORT_NAME}"
    return hashlib.sha256(names.encode()).hexdigest()[:12]


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not enabled() or not _cacheable(request) or request.user.is_authenticated:
            return self.get_response(request)
        zone = getattr(request, "viewer_tz_name", "UTC")
        source = getattr(request, "viewer_tz_source", "default")
        host = request.get_host()
        key = (
            f"page:{data_version()}:{_group_tag()}:{zone}:{source}:{host}:{request.get_full_path()}"
        )
        hit = cache.get(key)
        if hit is not None:
            content, headers = hit
            response = HttpResponse(content)
            for name, value in headers.items():
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        query = _ReadTrackingQuery(request.META.get("QUERY_STRING", ""), request.encoding)
        request.GET = query
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not query.unread()
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
