from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from lcoo.forms import SingleLineFields
from meetings.models import Meeting, Series
from members.models import Company, Person
from members.permissions import Access

from . import permissions
from .models import RESERVED_SLUGS, ActionItem, Agreement, ForumTopic, Position, Topic
from .permissions import Visibility

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
#: How far back the meeting pickers reach.
MEETING_PICKER_DAYS = 2 * 365


def meeting_choices(
    access: Access, *, kind: str | None = None, past: bool = True, also: Q | None = None
):
    """Meetings a coordinator can pick: visible, not cancelled, that have started (newest
    first) or, with past=False, upcoming (soonest first); plus those matching `also`
    (the ones an edited item already refers to)."""
    now = timezone.now()
    meetings = (
        Meeting.objects.visible_to(access)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("series")
    )
    if kind:
        meetings = meetings.filter(series__kind=kind)
    if past:
        since = now - datetime.timedelta(days=MEETING_PICKER_DAYS)
        window = Q(starts_at__lte=now, starts_at__gte=since)
    else:
        window = Q(starts_at__gt=now)
    if also is not None:
        window |= also
    return meetings.filter(window).order_by("-starts_at" if past else "starts_at")


def meeting_label(meeting: Meeting) -> str:
    """A meeting in a choice list, at its time in the viewer's zone (an <option> cannot
    hold a <time> element)."""
    topic = f": {meeting.topic}" if meeting.topic else ""
    local = timezone.localtime(meeting.starts_at)
    return f"{meeting.series.name}{topic} — {local:%a %d %b %Y, %H:%M} {local.tzname()}"


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, meeting: Meeting) -> str:
        return meeting_label(meeting)


class MeetingMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, meeting: Meeting) -> str:
        return meeting_label(meeting)


def status_filter(choices: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(choices=[("", "Any status"), *choices], required=False)


def company_filter(**kwargs) -> forms.ModelChoiceField:
    """Companies that are or were members (applicants are not public), by slug."""
    return forms.ModelChoiceField(
        queryset=Company.objects.exclude(status=Company.Status.APPLICANT).only("name", "slug"),
        required=False,
        empty_label="Any company",
        to_field_name="slug",
        **kwargs,
    )


def visibility_choices(access: Access) -> list[tuple[str, str]]:
    """The visibility levels a person may file items under: a field limited to these
    refuses any other value."""
    visible = permissions.visibilities_for(access)
    return [(v, label) for v, label in Visibility.choices if v in visible]


class FilterForm(SingleLineFields, forms.Form):
    """A list's filters, from the query string: each one given narrows the list, through
    its field lookup in `lookups` or in `narrow` (the filters that are more than one
    lookup, applied last)."""

    lookups: dict[str, str] = {}

    def filter(self, queryset):
        """The rows matching the valid filters (all of them when none is valid)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        for name, lookup in self.lookups.items():
            if data[name]:
                queryset = queryset.filter(**{lookup: data[name]})
        return self.narrow(queryset, data)

    def narrow(self, queryset, data: dict):
        return queryset


# The register, for everyone ----------------------------------------------------------


class RegisterFilterForm(FilterForm):
    q = forms.CharField(label="Search", required=False, max_length=200)
    status = status_filter(Agreement.Status.choices)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.none(),
        required=False,
        empty_label="Any topic",
        to_field_name="slug",
    )
    year = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    company = company_filter(label="Proposed by")

    lookups = {"status": "status", "topic": "topics", "company": "proposing_company"}

    def __init__(self, *args, access: Access, first_year: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only topics of items the viewer may see: a topic's name can tell of board work.
        self.fields["topic"].queryset = Topic.objects.filter(
            Exists(Agreement.objects.visible_to(access).filter(topics=OuterRef("pk")))
        )
        this_year = timezone.now().year
        first = min(first_year or this_year, this_year)
        self.fields["year"].choices = [("", "Any year")] + [
            (str(y), str(y)) for y in range(this_year, first - 1, -1)
        ]

    @staticmethod
    def first_year(agreements) -> int | None:
        first = agreements.aggregate(first=Min("proposed_on"))["first"]
        return first.year if first else None

    def narrow(self, agreements, data: dict):
        if data["year"]:
            agreements = agreements.in_year(data["year"])
        if data["q"].strip():
            agreements = agreements.search(data["q"])
        return agreements


class ActionItemFilterForm(FilterForm):
    status = status_filter(ActionItem.Status.choices)
    company = company_filter()
    overdue = forms.BooleanField(required=False, label="Overdue only")

    lookups = {"status": "status", "company": "company"}

    def narrow(self, items, data: dict):
        return items.overdue() if data["overdue"] else items


# Coordinators' forms -----------------------------------------------------------------


class AgreementForm(SingleLineFields, forms.ModelForm):
    new_topics = forms.CharField(
        required=False,
        max_length=300,
        help_text="Topics not in the list yet, separated by commas.",
    )
    discussed_at = MeetingMultipleChoiceField(
        queryset=Meeting.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        label="Discussed at meetings",
    )

    class Meta:
        model = Agreement
        # The page's order. new_topics is the form's own field, beside the topics;
        # discussed_at (declared above, saved by the service) comes last.
        fields = [
            "title",
            "slug",
            "summary",
            "body",
            "proposing_company",
            "proposed_on",
            "topics",
            "new_topics",
            "visibility",
            "supersedes",
        ]
        widgets = {
            "proposed_on": DATE_INPUT,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 14}),
            "topics": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "slug": "Part of the item's address. Leave empty to derive it from the title.",
        }

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.fields["slug"].required = False
        self.fields["proposing_company"].queryset = Company.objects.exclude(
            status=Company.Status.APPLICANT
        )
        self.fields["visibility"].choices = visibility_choices(access)
        supersedable = Q(status=Agreement.Status.AGREED)
        discussed = None
        if self.instance.pk:
            supersedable |= Q(pk=self.instance.supersedes_id)
            discussed = Q(discussed_agreements=self.instance)
            self.initial.setdefault(
                "discussed_at", list(self.instance.discussed_at.values_list("pk", flat=True))
            )
        self.fields["supersedes"].queryset = (
            Agreement.objects.visible_to(access)
            .filter(supersedable)
            .exclude(pk=self.instance.pk)
            .order_by("title")
        )
        self.fields["discussed_at"].queryset = meeting_choices(access, also=discussed).distinct()
        if self.instance.supersedes_id and not permissions.can_see_agreement(
            access, self.instance.supersedes
        ):
            # The editor may not see what this item supersedes: leave that link alone.
            del self.fields["supersedes"]
        elif self.instance.pk and not self.instance.is_open:
            # Superseding took effect (or not) when the item was decided: the link stays.
            self.fields["supersedes"].disabled = True
            self.fields[
                "supersedes"
            ].help_text = "Settled when the item was decided: it cannot change any more."

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise ValidationError("That address names a page of the register; choose another.")
        return slug or (self.instance.slug if self.instance.pk else "")

    def _get_validation_exclusions(self):
        # An empty slug is filled in by the service from the title.
        exclusions = super()._get_validation_exclusions()
        if not self.cleaned_data.get("slug"):
            exclusions.add("slug")
        return exclusions

    def discussed_meetings(self) -> list[Meeting]:
        """The meetings chosen, plus those the item was already linked to that the form
        does not offer (board meetings the editor may not see, older ones): editing
        never drops links the editor could not see."""
        offered = self.fields["discussed_at"].queryset
        kept = []
        if self.instance.pk:
            kept = list(self.instance.discussed_at.exclude(pk__in=offered.values("pk")))
        return [*self.cleaned_data["discussed_at"], *kept]

    @property
    def new_topic_names(self) -> list[str]:
        return [n for n in self.cleaned_data.get("new_topics", "").split(",") if n.strip()]


class AgreementStatusForm(SingleLineFields, forms.Form):
    status = forms.ChoiceField(label="New status")
    meeting = MeetingChoiceField(
        queryset=Meeting.objects.none(),
        required=False,
        help_text="Where it was decided (needed to agree or decline) or discussed.",
    )
    decided_on = forms.DateField(
        required=False,
        widget=DATE_INPUT,
        label="Date of the decision",
        help_text="Leave empty to use the meeting's date.",
    )
    note = forms.CharField(required=False, max_length=100, label="Note for the history")

    def __init__(self, *args, agreement: Agreement, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.value, s.label) for s in agreement.allowed_transitions]
        self.fields["meeting"].queryset = meeting_choices(access)


class PositionForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = Position
        fields = ["company", "stance", "comment"]
        widgets = {"stance": forms.RadioSelect}

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        companies = Company.objects.members()
        if not access.chair:
            companies = companies.filter(pk__in=permissions.speaks_for(access))
        self.fields["company"].queryset = companies
        self.fields["company"].empty_label = None
        self.fields["comment"].help_text = "Optional: the reason, conditions, reservations."

    def validate_unique(self):
        # One company, one voice: a new position replaces the old one (in the service).
        pass


class ActionItemForm(SingleLineFields, forms.ModelForm):
    raised_at = MeetingChoiceField(queryset=Meeting.objects.none(), label="Raised at meeting")

    class Meta:
        model = ActionItem
        fields = ["title", "owner", "company", "due_on", "raised_at", "agreement", "visibility"]
        widgets = {"due_on": DATE_INPUT}
        help_texts = {"company": "Leave empty to use the owner's company."}

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.fields["owner"].queryset = Person.objects.filter(is_active=True).select_related(
            "company"
        )
        self.fields["company"].queryset = Company.objects.exclude(status=Company.Status.APPLICANT)
        also = Q(pk=self.instance.raised_at_id) if self.instance.pk else None
        self.fields["raised_at"].queryset = meeting_choices(access, also=also)
        self.fields["agreement"].queryset = Agreement.objects.visible_to(access).order_by("title")
        if self.instance.agreement_id and not permissions.can_see_agreement(
            access, self.instance.agreement
        ):
            del self.fields["agreement"]
        self.fields["visibility"].choices = visibility_choices(access)


class ForumTopicForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = ForumTopic
        fields = ["title", "description", "proposed_by_company"]
        labels = {"proposed_by_company": "Proposed by"}

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        companies = Company.objects.members()
        if not access.chair:
            companies = companies.filter(pk__in=access.coordinator_of)
        self.fields["proposed_by_company"].queryset = companies
        self.fields["proposed_by_company"].empty_label = None
        self.fields["description"].widget.attrs["rows"] = 6

    def _get_validation_exclusions(self):
        # The slug is derived by the service.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("slug")
        return exclusions


class AssignTopicForm(SingleLineFields, forms.Form):
    forum = MeetingChoiceField(queryset=Meeting.objects.none(), label="Topical Forum")
    general_meeting = MeetingChoiceField(
        queryset=Meeting.objects.none(), label="Assigned at the General Meeting of"
    )
    presenting_companies = forms.ModelMultipleChoiceField(
        queryset=Company.objects.members(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = meeting_choices(
            access, kind=Series.Kind.FORUM, past=False
        ).select_related("slot")
        self.fields["general_meeting"].queryset = meeting_choices(access, kind=Series.Kind.GENERAL)
