"""The Atom feed of new and changed public agreements."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from .models import Agreement

FEED_SIZE = 50


class AgreementFeed(Feed):
    feed_type = Atom1Feed
    link = reverse_lazy("agreements:list")
    feed_url = reverse_lazy("agreements:feed")

    def title(self) -> str:
        return f"{settings.GROUP_SHORT_NAME} agreements"

    def subtitle(self) -> str:
        return (
            "New and changed public proposals and agreements of the "
            f"{settings.GROUP_NAME} ({settings.GROUP_SHORT_NAME})."
        )

    def items(self):
        # Public items only, whoever asks: feed readers share and cache what they fetch.
        return Agreement.objects.public().for_listing().order_by("-updated_at", "-pk")[:FEED_SIZE]

    def item_title(self, item: Agreement) -> str:
        return f"{item.title} ({item.get_status_display().lower()})"

    def item_description(self, item: Agreement) -> str:
        # Atom1Feed writes <summary type="html">: readers render it as HTML. The summary
        # is plain text, so it goes in escaped and shows as typed.
        return escape(item.summary)

    def item_link(self, item: Agreement) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Agreement) -> str:
        # Stable across edits of the title or address, and of the group's name (the tag
        # names the software): a reader shows an update, not a new entry.
        return f"tag:lcoo-portal,2017:agreement:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Agreement):
        return item.created_at

    def item_updateddate(self, item: Agreement):
        return item.updated_at

    def item_author_name(self, item: Agreement) -> str:
        return (
            item.proposing_company.name
            if item.proposing_company
            else f"{settings.GROUP_SHORT_NAME} chairs"
        )

    def item_categories(self, item: Agreement) -> list[str]:
        return [topic.name for topic in item.topics.all()]
