from django.contrib import admin, messages

from lcoo.admin import PortalModelAdmin, PortalTabularInline

from . import services
from .models import ActionItem, Agreement, ForumTopic, Position, Topic


class HistoryUserMixin:
    """Record the staff member as the author of the change in the item's history."""

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        obj._change_reason = "Edited in the admin"
        super().save_model(request, obj, form, change)


class TopicInUseFilter(admin.SimpleListFilter):
    title = "in use"
    parameter_name = "in_use"

    def lookups(self, request, model_admin):
        return [("yes", "Filed on agreements"), ("no", "Not used")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(agreements__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(agreements__isnull=True)
        return queryset


@admin.register(Topic)
class TopicAdmin(PortalModelAdmin):
    list_display = ["name", "slug", "description"]
    list_filter = [TopicInUseFilter]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class ReadOnlyMixin:
    """Shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Positions are shown, not edited: they are recorded on the site through
# services.record_position, which keeps one company, one voice (member companies only, on
# open items, by someone who speaks for the company).
class PositionInline(ReadOnlyMixin, PortalTabularInline):
    model = Position
    extra = 0
    fields = ["company", "stance", "comment", "recorded_by", "recorded_at"]


@admin.register(Agreement)
class AgreementAdmin(HistoryUserMixin, PortalModelAdmin):
    list_display = [
        "title",
        "status",
        "visibility",
        "proposing_company",
        "proposed_on",
        "decided_on",
        "updated_at",
    ]
    list_filter = ["status", "visibility", "topics", "proposing_company"]
    search_fields = ["title", "slug", "summary", "body"]
    list_select_related = ["proposing_company"]
    date_hierarchy = "proposed_on"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["proposing_company", "proposed_by", "supersedes"]
    filter_horizontal = ["topics", "discussed_at"]
    # The status moves only along the allowed transitions, on the item's page.
    readonly_fields = ["status", "decided_at", "decided_on", "created_at", "updated_at"]
    inlines = [PositionInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_open:
            # Superseding took effect (or not) when the item was decided: the link stays.
            fields.append("supersedes")
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            restricted = services.restrict_action_items(agreement=obj, actor=request.user)
            if restricted:
                self.message_user(
                    request, services.restriction_notice(obj, restricted), messages.INFO
                )


@admin.register(Position)
class PositionAdmin(ReadOnlyMixin, PortalModelAdmin):
    list_display = ["agreement", "company", "stance", "recorded_by", "recorded_at"]
    list_filter = ["stance", "company"]
    search_fields = ["agreement__title", "company__name", "comment"]
    list_select_related = ["agreement", "company", "recorded_by"]


@admin.register(ActionItem)
class ActionItemAdmin(HistoryUserMixin, PortalModelAdmin):
    list_display = ["title", "owner", "company", "due_on", "status", "raised_at", "visibility"]
    list_filter = ["status", "visibility", "company", "raised_at__series"]
    search_fields = ["title", "owner__full_name", "company__name", "agreement__title"]
    list_select_related = ["owner", "company", "raised_at__series"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["owner", "company", "raised_at", "agreement"]
    readonly_fields = ["status", "closed_at", "closed_by", "created_at", "updated_at"]


@admin.register(ForumTopic)
class ForumTopicAdmin(PortalModelAdmin):
    list_display = ["title", "proposed_by_company", "status", "forum", "created_at"]
    list_filter = ["status", "proposed_by_company"]
    search_fields = ["title", "slug", "description", "proposed_by_company__name"]
    list_select_related = ["proposed_by_company", "forum__series"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["proposed_by_company", "proposed_by", "forum", "assigned_at"]
    filter_horizontal = ["interested_companies"]
    # Assigning a topic also sets the forum's topic and presenters: do it on the site.
    readonly_fields = ["status", "forum", "assigned_at", "created_at", "updated_at"]


class HistoryAdmin(ReadOnlyMixin, PortalModelAdmin):
    """The recorded history, read-only: it is written by the changes themselves."""

    list_display = ["__str__", "history_type", "history_user", "history_date"]
    list_filter = ["history_type", "history_date"]
    list_select_related = ["history_user"]
    date_hierarchy = "history_date"


@admin.register(Agreement.history.model)
class HistoricalAgreementAdmin(HistoryAdmin):
    list_display = ["title", "status", "visibility", "history_user", "history_date"]
    list_filter = ["status", "visibility", "history_type"]
    search_fields = ["title", "slug", "history_user__full_name", "history_change_reason"]


@admin.register(Position.history.model)
class HistoricalPositionAdmin(HistoryAdmin):
    list_display = ["agreement", "company", "stance", "history_user", "history_date"]
    list_filter = ["stance", "history_type"]
    list_select_related = ["agreement", "company", "history_user"]
    search_fields = ["agreement__title", "company__name", "history_user__full_name"]


@admin.register(ActionItem.history.model)
class HistoricalActionItemAdmin(HistoryAdmin):
    list_display = ["title", "status", "history_user", "history_date"]
    list_filter = ["status", "history_type"]
    search_fields = ["title", "history_user__full_name", "history_change_reason"]
