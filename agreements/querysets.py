"""Selectors of the register: the querysets of agreements, action items and forum topics."""

from __future__ import annotations

import datetime

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections, models
from django.db.models import Case, Exists, IntegerField, Q, Value, When
from django.utils import timezone

from meetings.models import Audience, Meeting
from members.models import today
from members.permissions import Access

from .permissions import Visibility, visibilities_for

SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """The weighted document of an agreement. On PostgreSQL a trigger (migration 0003)
    stores this very expression, written in SQL, in `Agreement.search_document`: change
    one, change the other in a new migration. test_stored_search_document_equals_the_
    search_vector notices when they differ."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )


class AgreementQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> AgreementQuerySet:
        return self.filter(visibility__in=visibilities_for(access))

    def public(self) -> AgreementQuerySet:
        return self.filter(visibility=Visibility.PUBLIC)

    def open(self) -> AgreementQuerySet:
        return self.filter(status__in=self.model.OPEN_STATUSES)

    def in_year(self, year: int) -> AgreementQuerySet:
        """Decided in that year, or proposed in it and not decided yet."""
        return self.filter(
            Q(decided_on__year=year) | Q(decided_on__isnull=True, proposed_on__year=year)
        )

    def for_listing(self) -> AgreementQuerySet:
        # Lists show titles and summaries: the full text and its search document (both
        # the largest columns) stay in the database.
        return (
            self.select_related("proposing_company")
            .prefetch_related("topics")
            .defer("body", "search_document")
        )

    def search(self, text: str) -> AgreementQuerySet:
        """Items matching every word of `text`, best first (annotated with `rank`).

        PostgreSQL: full-text search with stemming; the title weighs most (A), then the
        summary (B), then the body (C). Elsewhere: each word must appear in the title,
        summary or body, and items score 4 per word in the title, 2 in the summary, 1
        in the body.
        """
        text = " ".join(text.split())
        if not text:
            return self
        latest_first = (
            models.F("decided_on").desc(nulls_last=True),
            "-proposed_on",
            "title",
        )
        if connections[self.db].vendor == "postgresql":
            query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
            return (
                self.filter(search_document=query)
                .annotate(rank=SearchRank(models.F("search_document"), query))
                .order_by("-rank", *latest_first)
            )
        words = text.split()[:8]
        items = self
        score = Value(0, output_field=IntegerField())
        for word in words:
            items = items.filter(
                Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
            )
            for field, weight in (("title", 4), ("summary", 2), ("body", 1)):
                score = score + Case(
                    When(**{f"{field}__icontains": word}, then=Value(weight)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
        return items.annotate(rank=score).order_by("-rank", *latest_first)


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> ActionItemQuerySet:
        items = self.filter(visibility__in=visibilities_for(access))
        if not access.can_see_board:
            items = items.filter(raised_at__series__audience=Audience.PUBLIC)
        return items

    def open(self) -> ActionItemQuerySet:
        return self.filter(status=self.model.Status.OPEN)

    def overdue(self, on: datetime.date | None = None) -> ActionItemQuerySet:
        return self.open().filter(due_on__lt=on or today())

    def open_first(self) -> ActionItemQuerySet:
        """Open items first, soonest due first (undated last), then the closed ones."""
        closed = Case(When(status=self.model.Status.OPEN, then=Value(0)), default=Value(1))
        return self.order_by(closed, models.F("due_on").asc(nulls_last=True), "pk")

    def for_listing(self) -> ActionItemQuerySet:
        return self.select_related(
            "owner", "company", "raised_at__series", "raised_at__slot", "agreement"
        )

    def carried_over_to(
        self, meeting: Meeting, now: datetime.datetime | None = None
    ) -> ActionItemQuerySet:
        """Open items of the meeting's series raised at earlier meetings, if `meeting` is
        the series' next meeting (the first one not cancelled that has not ended yet);
        none otherwise. One query, however it turns out."""
        now = now or timezone.now()
        if meeting.status == Meeting.Status.CANCELLED or meeting.ends_at <= now:
            return self.none()
        earlier_next = Meeting.objects.filter(
            series_id=meeting.series_id, ends_at__gt=now, starts_at__lt=meeting.starts_at
        ).exclude(status=Meeting.Status.CANCELLED)
        return self.open().filter(
            ~Exists(earlier_next),
            raised_at__series_id=meeting.series_id,
            raised_at__starts_at__lt=meeting.starts_at,
        )


class ForumTopicQuerySet(models.QuerySet):
    def backlog(self) -> ForumTopicQuerySet:
        return self.filter(status=self.model.Status.PROPOSED)

    def for_listing(self) -> ForumTopicQuerySet:
        return self.select_related(
            "proposed_by_company", "forum__series", "forum__slot", "assigned_at__series"
        ).prefetch_related("interested_companies", "forum__presenting_companies")
