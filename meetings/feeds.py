"""Calendar feeds: public, per series, per kind, private per person, and one event.

Public feeds never carry a conference link or a board meeting: they are built for an
anonymous reader whoever asks. A repeated request with the ETag (or Last-Modified)
answers 304 after one aggregate query, or none while the group's data has not changed
(with a shared cache); a full answer is cached under its ETag.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.text import slugify
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from lcoo import pagecache
from members.permissions import ANONYMOUS, Access, access_for, compute_access

from .calendar_tokens import revoke_calendar_tokens
from .ical import build_calendar
from .models import Audience, CalendarToken, Invitation, Meeting, Series

FEED_VERSION = "1"  # bump when the event format changes, so clients refetch
CACHE_SECONDS = 24 * 3600
STATS_SECONDS = 600  # a change also retires them at once, through the data version
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _feed_response(
    request: HttpRequest,
    meetings: QuerySet[Meeting],
    *,
    name: str,
    key: str,
    access: Access,
    filename: str,
    public: bool,
    include_location: Callable[[Meeting], bool] | None = None,
    include_agenda: Callable[[Meeting], bool] = lambda meeting: True,
) -> HttpResponse:
    include_location = include_location or access.can_see_conference_link
    etag, last_modified = _fingerprint(meetings, key=key, access=access)
    not_modified = get_conditional_response(
        request, etag=quote_etag(etag), last_modified=last_modified
    )
    if not_modified is not None:
        response = not_modified
    else:
        packed = "gzip" in request.headers.get("Accept-Encoding", "")
        body = _body(
            meetings,
            etag=etag,
            name=name,
            include_location=include_location,
            include_agenda=include_agenda,
            packed=packed,
        )
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        if packed:
            response["Content-Encoding"] = "gzip"
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = quote_etag(etag)
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=300"
    return response


def _fingerprint(
    meetings: QuerySet[Meeting], *, key: str, access: Access
) -> tuple[str, int | None]:
    """The feed's ETag and Last-Modified.

    The ETag follows the feed's own meetings (how many, and their latest change). Their
    latest change cannot tell when a meeting was deleted or a series left the feed, so
    Last-Modified is also never earlier than the group's last change of any data, which
    a shared cache records; without one, no Last-Modified is sent and the ETag decides.
    With a shared cache the aggregate itself is kept until the data changes.
    """
    shared = pagecache.enabled()
    stats = None
    if shared:
        stats_key = f"meetings:feed-stats:{pagecache.data_version()}:{key}:{hash(access)}"
        stats = cache.get(stats_key)
    if stats is None:
        stats = meetings.aggregate(
            count=Count("pk"), changed=Max("updated_at"), series_changed=Max("series__updated_at")
        )
        if shared:
            cache.set(stats_key, stats, STATS_SECONDS)
    changed = max(filter(None, [stats["changed"], stats["series_changed"]]), default=None)
    fingerprint = "|".join(
        [
            FEED_VERSION,
            key,
            settings.SITE_URL,
            # The calendar's name and PRODID say the group's name.
            settings.GROUP_SHORT_NAME,
            str(stats["count"]),
            str(changed),
            repr(access),
        ]
    )
    etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    if not shared:
        return etag, None
    return etag, max(int(changed.timestamp()) if changed else 0, pagecache.data_changed_at())


def _body(
    meetings: QuerySet[Meeting],
    *,
    etag: str,
    name: str,
    include_location: Callable[[Meeting], bool],
    include_agenda: Callable[[Meeting], bool],
    packed: bool,
) -> bytes:
    """The feed as built for this ETag, plain or gzipped (a big feed is mostly repeats).
    Both are cached under their own keys, so a request fetches only the one it sends."""
    key = f"meetings:feed:{etag}:{'gz' if packed else 'plain'}"
    body = _local_bodies.get(key)
    if body is not None:
        return body
    body = cache.get(key)
    if body is None:
        plain = build_calendar(
            meetings.for_calendar().order_by("starts_at", "pk"),
            name=name,
            include_location=include_location,
            include_agenda=include_agenda,
        )
        compressed = gzip.compress(plain, compresslevel=1, mtime=0)
        cache.set_many(
            {f"meetings:feed:{etag}:plain": plain, f"meetings:feed:{etag}:gz": compressed},
            CACHE_SECONDS,
        )
        body = compressed if packed else plain
    _local_bodies.put(key, body)
    return body


class _Bodies:
    """The last feed bodies this process served, by key (ETag and encoding). A body never
    changes under its key, so nothing here can go stale; it saves fetching megabytes
    from the shared cache on every full request."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


_local_bodies = _Bodies(max_bytes=32 * 1024 * 1024)


def _slug() -> str:
    """The group's short name as the start of a file name: "lcoo"."""
    return slugify(settings.GROUP_SHORT_NAME) or "group"


def _public_feed(
    request: HttpRequest, *, name: str, key: str, filename: str, **only
) -> HttpResponse:
    """Public meetings (`only`: of one series or kind), built for an anonymous reader
    whoever asks."""
    return _feed_response(
        request,
        Meeting.objects.filter(series__audience=Audience.PUBLIC, **only),
        name=name,
        key=key,
        access=ANONYMOUS,
        filename=filename,
        public=True,
    )


@require_safe
def public_feed(request: HttpRequest) -> HttpResponse:
    short = settings.GROUP_SHORT_NAME
    return _public_feed(
        request, name=f"{short} meetings", key="public", filename=f"{_slug()}-meetings.ics"
    )


@require_safe
def series_feed(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug, audience=Audience.PUBLIC)
    return _public_feed(
        request,
        name=f"{settings.GROUP_SHORT_NAME}: {series.name}",
        key=f"series:{series.pk}",
        filename=f"{series.slug}.ics",
        series=series,
    )


@require_safe
def kind_feed(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Series.Kind.values:
        raise Http404
    label = Series.Kind(kind).label
    return _public_feed(
        request,
        name=f"{settings.GROUP_SHORT_NAME}: {label}s",
        key=f"kind:{kind}",
        filename=f"{_slug()}-{kind}.ics",
        series__kind=kind,
    )


@require_safe
def private_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The meetings a person may see, with conference links: for their calendar app.
    A wrong token costs what a right one does up to the answer: a hash and one lookup."""
    entry = CalendarToken.objects.for_token(token).select_related("person").first()
    if entry is None or not entry.person.is_active:
        raise Http404
    access = compute_access(entry.person)
    # Meetings of their audience, and those they were invited to by name (a future
    # executive representative welcomed at the Executive Board), with the bridge.
    invited = set(
        Invitation.objects.filter(email__iexact=entry.person.email).values_list(
            "meeting_id", flat=True
        )
    )
    meetings = Meeting.objects.filter(
        Q(pk__in=Meeting.objects.visible_to(access).values("pk")) | Q(pk__in=invited)
    )
    return _feed_response(
        request,
        meetings,
        name=f"{settings.GROUP_SHORT_NAME} meetings for {entry.person.full_name}",
        # The hash, never the token: the key names cache entries in Redis.
        key=f"person:{entry.person_id}:{entry.token_hash}:{sorted(invited)}",
        access=access,
        filename=f"{_slug()}-my-meetings.ics",
        public=False,
        include_location=lambda m: m.pk in invited or access.can_see_conference_link(m),
        # Someone invited by name gets the time and the link; the agenda is the board's.
        include_agenda=access.can_see_meeting,
    )


@require_safe
def event_download(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series", "slot"), pk=pk)
    access = access_for(request.user)
    if not access.can_see_meeting(meeting):
        raise Http404
    body = build_calendar(
        [meeting],
        name=meeting.title,
        include_location=access.can_see_conference_link,
        method="PUBLISH",
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@cache_control(private=True, no_store=True)
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The person's private feed address, shown once: on the visit that issues it (the
    first, or the one right after they asked for a new address). The portal keeps only
    its hash, so later visits can only say that it exists."""
    entry = CalendarToken.objects.filter(person=request.user).first()
    private_url = None
    if entry is None:
        token = CalendarToken.issue(request.user)
        private_url = settings.SITE_URL + reverse("meetings:private-feed", args=[token])
    return render(
        request, "meetings/calendar_settings.html", {"private_url": private_url, "entry": entry}
    )


@login_required
@require_POST
def regenerate_calendar_token(request: HttpRequest) -> HttpResponse:
    """Kill the address; the page issues and shows the new one (so it is never kept to
    carry it over the redirect)."""
    revoke_calendar_tokens(person=request.user)
    messages.success(request, "Your private calendar address is new; the old one no longer works.")
    return redirect("meetings:calendar-settings")
