"""Admin classes every app's admin builds on, so that the admin applies the same input
rules as the pages (lcoo.forms). This module imports no app of the portal."""

from django.contrib import admin

from .forms import SingleLineModelForm


class PortalModelAdmin(admin.ModelAdmin):
    form = SingleLineModelForm


class PortalTabularInline(admin.TabularInline):
    form = SingleLineModelForm
