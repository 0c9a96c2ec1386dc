from django import forms

from lcoo.forms import SingleLineFields
from members.models import TimeZoneFormField

from .models import JoinApplication, ProposedDelegate

# The columns' limit (254, RFC 5321's longest path), not the form field's default of 320.
CONTACT_EMAIL_MAX = JoinApplication._meta.get_field("contact_email").max_length
DELEGATE_EMAIL_MAX = ProposedDelegate._meta.get_field("email").max_length


class JoinForm(SingleLineFields, forms.Form):
    """The public application form. It works as a plain form; htmx only swaps it in place."""

    company_name = forms.CharField(max_length=200, label="Company name")
    website = forms.URLField(max_length=300, label="Company website")
    hq_timezone = TimeZoneFormField(
        label="Headquarters time zone",
        help_text="Meeting times are rotated with this zone in mind.",
    )
    contact_name = forms.CharField(max_length=200, label="Your name")
    contact_email = forms.EmailField(
        max_length=CONTACT_EMAIL_MAX,
        label="Your e-mail address",
        help_text="We send a link to confirm it.",
    )
    contact_role = forms.CharField(max_length=200, label="Your role at the company")
    coordinator_name = forms.CharField(max_length=200, label="Proposed coordinator: name")
    coordinator_email = forms.EmailField(
        max_length=DELEGATE_EMAIL_MAX, label="Proposed coordinator: e-mail"
    )
    coordinator2_name = forms.CharField(
        max_length=200, required=False, label="Second coordinator (optional): name"
    )
    coordinator2_email = forms.EmailField(
        max_length=DELEGATE_EMAIL_MAX,
        required=False,
        label="Second coordinator (optional): e-mail",
    )
    executive_name = forms.CharField(
        max_length=200, label="Proposed executive representative: name"
    )
    executive_email = forms.EmailField(
        max_length=DELEGATE_EMAIL_MAX, label="Proposed executive representative: e-mail"
    )
    interests = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What does the company want to work on with the group?",
    )
    commit_coordinator = forms.BooleanField(
        label="We will delegate at least one person to the coordinator role.",
        error_messages={"required": "Member companies delegate a coordinator."},
    )
    commit_executive = forms.BooleanField(
        label="We will delegate an executive representative to the Executive Board.",
        error_messages={"required": "Member companies delegate an executive representative."},
    )
    commit_participate = forms.BooleanField(
        label="We will actively take part in the activities of the group.",
        error_messages={"required": "Member companies commit to take part actively."},
    )
    # Filled only by bots: hidden from people and from assistive technology.
    homepage = forms.CharField(required=False, label="Leave this empty")

    def clean(self):
        data = super().clean()
        if bool(data.get("coordinator2_name")) != bool(data.get("coordinator2_email")):
            self.add_error(
                "coordinator2_email", "Give both the name and the e-mail of the second coordinator."
            )
        return data

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("homepage"))

    def coordinators(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        pairs = [(data["coordinator_name"], data["coordinator_email"])]
        if data.get("coordinator2_name"):
            pairs.append((data["coordinator2_name"], data["coordinator2_email"]))
        return pairs


class WithdrawForm(SingleLineFields, forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ApplicationActionForm(SingleLineFields, forms.Form):
    """One step a coordinator takes on an application; which fields matter depends on it."""

    action = forms.ChoiceField(
        choices=[
            ("participating", "Its people take part in General Meetings"),
            ("desire", "It said at a General Meeting that it wants to join"),
            ("schedule", "Schedule the welcome at an Executive Board meeting"),
            ("welcome", "It was welcomed at the Executive Board: make it a member"),
            ("decline", "Decline"),
            ("withdraw", "Withdrawn by the company"),
        ]
    )
    meeting = forms.IntegerField(required=False, widget=forms.Select)
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
