"""Admin classes every app's admin builds on, so that the admin applies the same input
rules as the pages (lcoo.forms), and the group profile's admin. This module imports no
app of the portal."""

from django.contrib import admin

from .forms import SingleLineModelForm
from .models import GroupProfile


class PortalModelAdmin(admin.ModelAdmin):
    form = SingleLineModelForm


class PortalTabularInline(admin.TabularInline):
    form = SingleLineModelForm


@admin.register(GroupProfile)
class GroupProfileAdmin(PortalModelAdmin):
    """The one profile: written once, then edited; never a second one, never deleted."""

    fields = ["summary", "mission", "principles"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not GroupProfile.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
