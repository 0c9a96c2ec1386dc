from django.contrib import admin

from lcoo.admin import PortalModelAdmin, PortalTabularInline

from .models import ApplicationEvent, JoinApplication, ProposedDelegate


class ProposedDelegateInline(PortalTabularInline):
    model = ProposedDelegate
    extra = 0


class ApplicationEventInline(PortalTabularInline):
    model = ApplicationEvent
    extra = 0
    readonly_fields = ["from_state", "to_state", "actor", "meeting", "note", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # The timeline is written by the workflow, never by hand.
        return False


@admin.register(JoinApplication)
class JoinApplicationAdmin(PortalModelAdmin):
    list_display = ["company_name", "state", "contact_name", "submitted_at", "confirmed_at"]
    list_filter = ["state", "hq_timezone"]
    search_fields = ["company_name", "contact_name", "contact_email", "website"]
    date_hierarchy = "submitted_at"
    readonly_fields = ["state", "status_token", "submitted_at", "confirmed_at", "company"]
    inlines = [ProposedDelegateInline, ApplicationEventInline]
