import datetime

from django import forms

from lcoo.forms import SingleLineFields, refuse_control_characters

from .models import (
    Company,
    Person,
    Role,
    RoleProposal,
    SubTeam,
    SubTeamMembership,
    TimeZoneFormField,
    today,
)

#: How far ahead a leaving or a handover may be recorded: beyond it is more likely a typo.
FAR_FUTURE = datetime.timedelta(days=366)


class SignupDetailsForm(SingleLineFields, forms.Form):
    """Extra fields on allauth's sign-up form: what a participant tells us about themselves."""

    full_name = forms.CharField(max_length=200, label="Full name")
    time_zone = TimeZoneFormField(
        browser_default=True, help_text="Meeting times are shown to you in this zone."
    )

    def signup(self, request, user: Person) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.save(update_fields=["full_name", "time_zone"])


class ProfileForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["full_name", "time_zone", "profile_public", "wants_reminders"]


class TimezoneSwitchForm(SingleLineFields, forms.Form):
    tz = TimeZoneFormField(label="Show times in")
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class RoleGrantForm(SingleLineFields, forms.ModelForm):
    """What a chair fills in to grant a role; the rules are checked by Role.clean()."""

    class Meta:
        model = Role
        fields = ["person", "kind", "company", "starts_on", "ends_on", "note"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(is_active=True).order_by("full_name")
        self.fields["company"].queryset = Company.objects.exclude(status=Company.Status.FORMER)


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


def _not_far_ahead(value: datetime.date) -> None:
    if value > today() + FAR_FUTURE:
        raise forms.ValidationError("That is more than a year ahead; check the date.")


class LeaveForm(SingleLineFields, forms.Form):
    """A chair records that a member company leaves."""

    left_on = forms.DateField(
        label="Last day as a member", initial=today, widget=_date_input(), help_text="UTC date."
    )
    reason = forms.CharField(max_length=300, label="Reason")

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_left_on(self) -> datetime.date:
        left_on = self.cleaned_data["left_on"]
        if self.company.joined_on and left_on < self.company.joined_on:
            raise forms.ValidationError(
                f"{self.company.name} joined on {self.company.joined_on.isoformat()}; "
                "it cannot leave before."
            )
        _not_far_ahead(left_on)
        return left_on

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the company leaves.")
        return reason


def company_people(company: Company):
    return Person.objects.filter(company=company, is_active=True).order_by("full_name")


class ReplaceRoleForm(SingleLineFields, forms.Form):
    """Replace the executive, or one coordinator, of a company in one step."""

    kind = forms.ChoiceField(choices=RoleProposal.Kind.choices, label="Role")
    leaving = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        label="Coordinator leaving",
        help_text="For an executive, the current one leaves.",
    )
    arriving = forms.ModelChoiceField(queryset=Person.objects.none(), label="Person arriving")
    starts_on = forms.DateField(
        label="First day of the person arriving",
        initial=today,
        widget=_date_input(),
        help_text="UTC date; the person leaving serves until the day before.",
    )

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["leaving"].queryset = (
            Person.objects.filter(
                roles__in=Role.objects.active().filter(company=company, kind=Role.Kind.COORDINATOR)
            )
            .distinct()
            .order_by("full_name")
        )
        self.fields["arriving"].queryset = company_people(company)

    def clean_starts_on(self) -> datetime.date:
        starts_on = self.cleaned_data["starts_on"]
        _not_far_ahead(starts_on)
        return starts_on

    def clean(self):
        data = super().clean()
        if data.get("kind") == Role.Kind.COORDINATOR and not data.get("leaving"):
            self.add_error("leaving", "Say which coordinator leaves.")
        return data


class CompanyProfileForm(SingleLineFields, forms.ModelForm):
    """What a coordinator keeps up to date about their company."""

    class Meta:
        model = Company
        fields = ["website", "hq_timezone", "description"]
        labels = {"description": "What it works on"}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def clean_description(self) -> str:
        description = self.cleaned_data["description"]
        # Line breaks are fine in a description; other control characters are not.
        refuse_control_characters(description.replace("\r\n", "").replace("\n", ""))
        return description


class RoleProposalForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = RoleProposal
        fields = ["person", "kind", "starts_on", "note"]
        widgets = {"starts_on": _date_input()}
        help_texts = {"starts_on": "UTC date."}

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = company_people(company)
        self.fields["starts_on"].initial = today

    def clean_starts_on(self) -> datetime.date:
        starts_on = self.cleaned_data["starts_on"]
        if starts_on < today():
            raise forms.ValidationError("A proposal looks ahead: pick today or a later day.")
        _not_far_ahead(starts_on)
        return starts_on


class DecisionForm(SingleLineFields, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(
        max_length=300, required=False, label="Reason", help_text="Needed to decline."
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not data.get("note", "").strip():
            self.add_error("note", "Say why the proposal is declined.")
        return data


def _active_people():
    return Person.objects.filter(is_active=True).order_by("full_name")


class SubTeamForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = SubTeam
        fields = ["name", "kind", "description", "lead", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = _active_people()

    def clean_description(self) -> str:
        description = self.cleaned_data["description"]
        refuse_control_characters(description.replace("\r\n", "").replace("\n", ""))
        return description


class SubTeamMembershipForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = SubTeamMembership
        fields = ["person", "affiliation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _active_people()
