from django import forms

from lcoo.forms import SingleLineFields

from .models import Company, Person, Role, timezone_choices


class SignupDetailsForm(SingleLineFields, forms.Form):
    """Extra fields on allauth's sign-up form: what a participant tells us about themselves."""

    full_name = forms.CharField(max_length=200, label="Full name")
    time_zone = forms.ChoiceField(
        choices=timezone_choices,
        initial="UTC",
        help_text="Meeting times are shown to you in this zone.",
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
    tz = forms.ChoiceField(choices=timezone_choices, label="Show times in")
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
