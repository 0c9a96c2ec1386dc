from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from lcoo.admin import PortalModelAdmin, PortalTabularInline
from lcoo.forms import SingleLineFields

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


class SlotInline(PortalTabularInline):
    model = Slot
    extra = 0


class SeriesDateInline(PortalTabularInline):
    model = SeriesDate
    extra = 0


@admin.register(Series)
class SeriesAdmin(PortalModelAdmin):
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
    # A series ends and reopens on its coordinators' page, through the service that
    # cancels and restores its meetings.
    readonly_fields = ["ended_on", "end_reason", "ended_by"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SlotInline, SeriesDateInline]


class AttendanceFormSet(forms.BaseInlineFormSet):
    """The admin records attendance by the same rule as the roll call: not before the
    meeting has started (an unchanged list is fine)."""

    def clean(self):
        super().clean()
        changed = any(form.has_changed() for form in self.forms) or self.deleted_forms
        if changed and self.instance.pk is not None:
            self.instance.refuse_record_before_start("Attendance")


class AttendanceInline(PortalTabularInline):
    model = Attendance
    formset = AttendanceFormSet
    extra = 0
    autocomplete_fields = ["person", "company"]
    readonly_fields = ["recorded_by", "recorded_at"]


class AttachmentInline(PortalTabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["content_type", "size", "original_name", "uploaded_by", "uploaded_at"]


class InvitationInline(PortalTabularInline):
    model = Invitation
    extra = 0
    fields = ["name", "email", "reason", "invited_at"]
    readonly_fields = ["invited_at"]


class MeetingAdminForm(SingleLineFields, forms.ModelForm):
    """Staff change a meeting's time, place, status and texts through the meeting's
    guarded changes, as the coordinators' pages do: a forbidden change is an error on
    the form, and an allowed one grows the calendar SEQUENCE and marks the meeting
    edited where those pages would."""

    TEXTS = tuple(NoteRevision.Field.values)

    class Meta:
        model = Meeting
        # Not `edited` nor `revision`: the rules keep those.
        fields = [
            "series", "sequence_index", "slot", "starts_at", "ends_at", "topic", "agenda",
            "notes", "members_notes", "notes_published", "presenters", "presenting_companies",
            "conference_link", "status", "cancel_reason",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        meeting = self.instance
        if meeting.pk is None or self.errors:
            return data  # a new meeting has no rules to keep yet
        try:
            meeting.move(
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                conference_link=data["conference_link"],
                commit=False,
            )
            self._change_status(meeting, data)
            for field in self.TEXTS:
                meeting.edit_text(field, data[field], commit=False)
            if data["notes_published"] != meeting.notes_published:
                if data["notes_published"]:
                    meeting.publish_notes(commit=False)
                else:
                    meeting.unpublish_notes(commit=False)
        except ValidationError as error:
            # The instance is not saved: the page shows the error, and nothing changes.
            self.add_error(None, error.messages)
        return data

    def _change_status(self, meeting: Meeting, data: dict) -> None:
        status = data["status"]
        if status == meeting.status:
            return
        if status == Meeting.Status.CANCELLED:
            meeting.cancel(reason=data["cancel_reason"], commit=False)
        elif status == Meeting.Status.HELD:
            meeting.mark_held(commit=False)
        elif meeting.status == Meeting.Status.CANCELLED:
            meeting.restore(commit=False)
        else:
            raise ValidationError(
                f"A {meeting.get_status_display().lower()} meeting cannot be scheduled again."
            )
        data["cancel_reason"] = meeting.cancel_reason


@admin.register(Meeting)
class MeetingAdmin(PortalModelAdmin):
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
    readonly_fields = ["uid", "revision", "edited", "created_at", "updated_at"]
    autocomplete_fields = ["presenters", "presenting_companies"]
    inlines = [AttendanceInline, AttachmentInline, InvitationInline]
    form = MeetingAdminForm

    def get_readonly_fields(self, request, obj=None):
        # A meeting's place in its series is the rotation's: moving it to another series
        # or position would change its slot and calendar identity with no rule to keep.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "series", "sequence_index"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Every saved version of a text is kept, whoever saved it and wherever.
        NoteRevision.objects.bulk_create(
            NoteRevision(meeting=obj, field=field, text=getattr(obj, field), author=request.user)
            for field in form.TEXTS
            if field in form.changed_data
        )


@admin.register(NoteRevision)
class NoteRevisionAdmin(PortalModelAdmin):
    list_display = ["meeting", "field", "author", "created_at"]
    list_filter = ["field"]
    search_fields = ["meeting__series__name", "meeting__topic", "text", "author__full_name"]
    list_select_related = ["meeting__series", "author"]
    readonly_fields = ["meeting", "field", "text", "author", "created_at"]

    def has_add_permission(self, request):
        # History is written by saving notes, never by hand.
        return False
