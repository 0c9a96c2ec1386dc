from django.contrib import admin

from .models import (
    Attachment,
    Attendance,
    Invitation,
    Meeting,
    NoteRevision,
    Series,
    SeriesDate,
    Slot,
)


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0


class SeriesDateInline(admin.TabularInline):
    model = SeriesDate
    extra = 0


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "audience",
        "cadence",
        "interval",
        "duration_minutes",
        "is_active",
    ]
    list_filter = ["kind", "audience", "cadence", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SlotInline, SeriesDateInline]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["person", "company"]
    readonly_fields = ["recorded_by", "recorded_at"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["content_type", "size", "original_name", "uploaded_by", "uploaded_at"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    fields = ["name", "email", "reason", "invited_at"]
    readonly_fields = ["invited_at"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = [
        "series",
        "starts_at",
        "topic",
        "status",
        "notes_published",
        "edited",
        "revision",
    ]
    list_filter = ["series__kind", "series", "status", "notes_published", "edited"]
    search_fields = ["topic", "agenda", "notes", "series__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["series"]
    readonly_fields = ["uid", "revision", "created_at", "updated_at"]
    autocomplete_fields = ["presenters", "presenting_companies"]
    inlines = [AttendanceInline, AttachmentInline, InvitationInline]


@admin.register(NoteRevision)
class NoteRevisionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "field", "author", "created_at"]
    list_filter = ["field"]
    search_fields = ["meeting__series__name", "meeting__topic", "text", "author__full_name"]
    list_select_related = ["meeting__series", "author"]
    readonly_fields = ["meeting", "field", "text", "author", "created_at"]

    def has_add_permission(self, request):
        # History is written by saving notes, never by hand.
        return False
