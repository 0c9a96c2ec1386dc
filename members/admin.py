import datetime

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django.forms.models import BaseInlineFormSet

from lcoo.admin import PortalModelAdmin, PortalTabularInline
from lcoo.forms import SingleLineFields, SingleLineModelForm

from . import services
from .models import Company, Person, Role, RoleProposal, SubTeam, SubTeamMembership, ToolLink


class RoleInlineFormSet(BaseInlineFormSet):
    """Each row's clean() checks the executive rule against saved roles; rows added or
    changed together in one form must not clash with each other either."""

    def clean(self) -> None:
        super().clean()
        executives = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("kind") != Role.Kind.EXECUTIVE:
                continue
            company = data.get("company") or (
                self.instance if isinstance(self.instance, Company) else None
            )
            if company is None or data.get("starts_on") is None:
                continue
            executives.append((company.pk, data["starts_on"], data.get("ends_on")))
        far = datetime.date.max
        for n, (company, starts, ends) in enumerate(executives):
            for other, other_starts, other_ends in executives[n + 1 :]:
                if (
                    company == other
                    and starts <= (other_ends or far)
                    and other_starts <= (ends or far)
                ):
                    raise ValidationError(
                        "Two executive representatives of one company overlap here: "
                        "a company has exactly one at a time."
                    )


class RoleInline(PortalTabularInline):
    model = Role
    formset = RoleInlineFormSet
    fk_name = "person"
    extra = 0
    fields = ["kind", "company", "starts_on", "ends_on", "note"]
    autocomplete_fields = ["company"]


class CompanyRoleInline(RoleInline):
    fk_name = "company"
    fields = ["person", "kind", "starts_on", "ends_on", "note"]
    autocomplete_fields = ["person"]


class ActiveRoleFilter(admin.SimpleListFilter):
    title = "active role"
    parameter_name = "active_role"

    def lookups(self, request, model_admin):
        return [*Role.Kind.choices, ("none", "No active role")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.exclude(Exists(Role.objects.active().filter(person=OuterRef("pk"))))
        if self.value():
            return queryset.filter(
                Exists(Role.objects.active().filter(person=OuterRef("pk"), kind=self.value()))
            )
        return queryset


class IncompleteFilter(admin.SimpleListFilter):
    title = "membership"
    parameter_name = "complete"

    def lookups(self, request, model_admin):
        return [("no", "Member lacking a coordinator or executive")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset & Company.objects.incomplete()
        return queryset


class CompanyAdminForm(SingleLineModelForm):
    """A member marked former here leaves as on the chairs' page: same checks, and the
    change is made by the same service (roles end, people are told)."""

    @property
    def leaving(self) -> bool:
        return (
            self.instance.pk is not None
            and self.initial.get("status") == Company.Status.MEMBER
            and getattr(self, "cleaned_data", {}).get("status") == Company.Status.FORMER
        )

    def clean(self):
        data = super().clean()
        if self.leaving:
            if not (data.get("left_reason") or "").strip():
                self.add_error("left_reason", "Say why the company leaves.")
            if data.get("left_on"):
                try:
                    services.check_last_day(company=self.instance, left_on=data["left_on"])
                except ValidationError as error:
                    self.add_error(None, error)
        return data


@admin.register(Company)
class CompanyAdmin(PortalModelAdmin):
    form = CompanyAdminForm
    list_display = ["name", "status", "hq_timezone", "joined_on", "left_on", "people_count"]
    list_filter = ["status", IncompleteFilter, "hq_timezone"]
    search_fields = ["name", "slug", "website"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "joined_on"
    inlines = [CompanyRoleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_total=Count("people"))

    def save_model(self, request, obj, form, change):
        if not form.leaving:
            return super().save_model(request, obj, form, change)
        left_on, reason = obj.left_on, obj.left_reason
        # The other fields are saved as edited; the leaving itself goes through its rule.
        obj.status, obj.left_on, obj.left_reason = Company.Status.MEMBER, None, ""
        super().save_model(request, obj, form, change)
        services.mark_company_former(company=obj, left_on=left_on, reason=reason, by=request.user)
        obj.refresh_from_db()

    @admin.display(description="people", ordering="people_total")
    def people_count(self, company):
        return company.people_total


class PersonCreationForm(SingleLineFields, AdminUserCreationForm):
    class Meta:
        model = Person
        fields = ["email", "full_name"]


class PersonChangeForm(SingleLineFields, UserChangeForm):
    class Meta:
        model = Person
        fields = "__all__"


@admin.register(Person)
class PersonAdmin(UserAdmin):
    add_form = PersonCreationForm
    form = PersonChangeForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "company", "time_zone", "profile_public", "is_staff"]
    list_filter = [ActiveRoleFilter, "company", "profile_public", "is_staff", "is_active"]
    search_fields = ["full_name", "email", "company__name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    inlines = [RoleInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "company", "time_zone", "profile_public"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        # A superuser's address or password changed by staff would hand them the account.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out superuser status or individual permissions: staff
        # who may change people would otherwise grant themselves everything.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly

    def save_formset(self, request, form, formset, change):
        for role_form in formset.forms:
            if isinstance(role_form.instance, Role) and not role_form.instance.pk:
                role_form.instance.granted_by = request.user
        super().save_formset(request, form, formset, change)


@admin.register(Role)
class RoleAdmin(PortalModelAdmin):
    list_display = ["person", "kind", "company", "starts_on", "ends_on", "granted_by"]
    list_filter = ["kind", "company", "starts_on", "ends_on"]
    search_fields = ["person__full_name", "person__email", "company__name", "note"]
    list_select_related = ["person", "company", "granted_by"]
    autocomplete_fields = ["person", "company"]
    readonly_fields = ["granted_by", "created_at"]
    date_hierarchy = "starts_on"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


class SubTeamMembershipInline(PortalTabularInline):
    model = SubTeamMembership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(SubTeam)
class SubTeamAdmin(PortalModelAdmin):
    list_display = ["name", "kind", "lead", "is_active", "created_on"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "description", "lead__full_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead"]
    list_select_related = ["lead"]
    inlines = [SubTeamMembershipInline]


@admin.register(ToolLink)
class ToolLinkAdmin(PortalModelAdmin):
    list_display = ["name", "category", "url", "position", "is_visible"]
    list_editable = ["position", "is_visible"]
    list_filter = ["category", "is_visible"]
    search_fields = ["name", "url", "description"]


@admin.register(RoleProposal)
class RoleProposalAdmin(PortalModelAdmin):
    list_display = ["person", "kind", "company", "starts_on", "status", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["person", "company"]
    search_fields = ["person__full_name", "company__name"]
    # Deciding grants roles and sends mail: that goes through the chairs' page.
    readonly_fields = ["status", "decided_by", "decided_at", "decision_note"]
    autocomplete_fields = ["company", "person", "proposed_by"]
