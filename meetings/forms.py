from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from lcoo.forms import SingleLineFields
from members.models import Company, Person, TimeZoneFormField, TimeZonePicker

from . import rotation
from .models import Attachment, Delivery, NoteRevision, Series, SeriesDate, Slot


class MeetingFilterForm(SingleLineFields, forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), *Series.Kind.choices], required=False, label="Kind"
    )
    series = forms.ModelChoiceField(
        queryset=Series.objects.none(),
        required=False,
        empty_label="All series",
        to_field_name="slug",
    )

    def __init__(self, *args, series_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if series_queryset is not None:
            self.fields["series"].queryset = series_queryset


class SeriesForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = Series
        fields = [
            "name",
            "slug",
            "kind",
            "sub_team",
            "description",
            "audience",
            "cadence",
            "interval",
            "monthly_ordinal",
            "anchor",
            "duration_minutes",
            "conference_link",
            "mailing_list",
            "mailing_list_private",
            "announce_days_ahead",
            "horizon_months",
            "is_active",
        ]
        widgets = {"anchor": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "slug": "Part of the series' address. Leave empty to derive it from the name."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug:
            return slug
        if self.instance.pk:
            return self.instance.slug
        base = slugify(self.cleaned_data.get("name", ""))[:180] or "series"
        slug, n = base, 2
        while Series.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class SlotForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = Slot
        fields = ["weekday", "local_time", "zone"]
        widgets = {"local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        labels = {"local_time": "Time", "zone": "Time zone"}


class BaseSlotFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE", False)]
        if not kept:
            raise ValidationError("A series needs at least one time slot.")


SlotFormSet = forms.inlineformset_factory(
    Series,
    Slot,
    form=SlotForm,
    formset=BaseSlotFormSet,
    # Three empty rows: enough for a rotation across Asia, Europe and the Americas;
    # rows left empty are ignored.
    extra=3,
    can_delete=True,
    can_order=False,
    max_num=12,
    validate_max=True,
)


class SeriesDatesField(forms.CharField):
    """Explicit dates, one per line (YYYY-MM-DD)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value):
        value = super().to_python(value)
        dates, bad = [], []
        for line_number, line in enumerate(value.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            try:
                dates.append(datetime.date.fromisoformat(line))
            except ValueError:
                bad.append(f"line {line_number}: {line!r}")
        if bad:
            raise ValidationError("Not a date (YYYY-MM-DD): " + "; ".join(bad))
        return sorted(set(dates))


class SeriesDatesForm(SingleLineFields, forms.Form):
    dates = SeriesDatesField(
        required=False,
        label="Meeting dates",
        help_text="For series on explicit dates: one per line, YYYY-MM-DD, in the slot's zone.",
    )

    @classmethod
    def for_series(cls, series: Series | None, data=None) -> SeriesDatesForm:
        initial = ""
        if series is not None and series.pk:
            initial = "\n".join(d.date.isoformat() for d in series.dates.all())
        return cls(data, initial={"dates": initial})

    def save(self, series: Series) -> None:
        wanted = set(self.cleaned_data["dates"])
        series.dates.exclude(date__in=wanted).delete()
        have = set(series.dates.values_list("date", flat=True))
        SeriesDate.objects.bulk_create(
            [SeriesDate(series=series, date=d) for d in sorted(wanted - have)]
        )


def gap_message(change: rotation.ClockChange) -> str:
    """Why a wall-clock time in a spring-forward gap is refused, and what to type instead."""
    last = datetime.datetime.combine(change.day, change.before) - datetime.timedelta(minutes=1)
    return f"{change.describe()}: choose {last:%H:%M} or {change.after:%H:%M} or later."


def instant_label(instant: datetime.datetime, zone: str) -> str:
    """ "02:30 CEST (00:30 UTC)": one of the two readings of an ambiguous time."""
    local = instant.astimezone(rotation.zone(zone))
    return f"{local:%H:%M} {local.tzname()} ({instant.astimezone(datetime.UTC):%H:%M} UTC)"


def ambiguous_choices(day: datetime.date, time: datetime.time, zone: str) -> list[tuple[str, str]]:
    """The two readings of a wall-clock time in the fall-back hour, as (fold, label);
    empty for any other time."""
    instants = rotation.local_instants(day, time, zone)
    if len(instants) != 2:
        return []
    return [(str(fold), instant_label(instant, zone)) for fold, instant in enumerate(instants)]


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _as_time(value) -> datetime.time:
    return value if isinstance(value, datetime.time) else datetime.time.fromisoformat(value)


class LocalDateTimeWidget(forms.MultiWidget):
    """Date, time, zone and, when the time happens twice, which of the two is meant."""

    def __init__(self):
        super().__init__(
            widgets=[
                forms.DateInput(attrs={"type": "date", "aria-label": "Date"}),
                forms.TimeInput(attrs={"type": "time", "aria-label": "Time"}, format="%H:%M"),
                TimeZonePicker(
                    attrs={"aria-label": "Time zone"}, choices=TimeZoneFormField().choices
                ),
                forms.RadioSelect(choices=[]),
            ]
        )

    def get_context(self, name, value, attrs):
        # A meeting already in the fall-back hour shows its two readings from the start.
        if not self.widgets[3].choices and isinstance(value, list | tuple) and len(value) >= 3:
            try:
                day, time = _as_date(value[0]), _as_time(value[1])
                self.widgets[3].choices = ambiguous_choices(day, time, str(value[2]))
            except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
                pass
        return super().get_context(name, value, attrs)

    def decompress(self, value):
        if not value:
            return [None, None, None, ""]
        zone = getattr(value.tzinfo, "key", "UTC")
        return [value.date(), value.time().replace(tzinfo=None), zone, str(value.fold)]


class ExactLocalDateTimeField(forms.MultiValueField):
    """A date, a wall-clock time and the IANA zone they are in: an aware datetime, for
    every form where a person types a local time. A time in the spring-forward gap
    (it never happens) is refused, naming the change; a time in the fall-back hour (it
    happens twice) is asked about: the field offers both instants and takes the one
    chosen, never guessing. The value is aware, in the zone typed, with the right fold."""

    def __init__(self, **kwargs):
        fields = (
            forms.DateField(),
            forms.TimeField(),
            TimeZoneFormField(),
            forms.ChoiceField(choices=[("0", "first"), ("1", "second")], required=False),
        )
        super().__init__(
            fields=fields, widget=LocalDateTimeWidget(), require_all_fields=False, **kwargs
        )

    def compress(self, data_list):
        if not data_list:
            return None
        day, time, zone, which = (list(data_list) + [""] * 4)[:4]
        if day is None or time is None or not zone:
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")
        instants = rotation.local_instants(day, time, zone)
        self.widget.widgets[3].choices = ambiguous_choices(day, time, zone)
        if not instants:
            change = rotation.clock_change(day, time, zone)
            raise ValidationError(gap_message(change), code="dst_gap")
        if len(instants) == 2:
            if which not in ("0", "1"):
                change = rotation.clock_change(day, time, zone)
                raise ValidationError(
                    f"{change.describe()}, so {time:%H:%M} happens twice: choose which one "
                    f"is meant, {instant_label(instants[0], zone)} or "
                    f"{instant_label(instants[1], zone)}.",
                    code="dst_ambiguous",
                )
            chosen = instants[int(which)]
        else:
            chosen = instants[0]
        # In its zone (the fold says which reading), so callers still know the zone.
        return chosen.astimezone(rotation.zone(zone))


def split_local(moment: datetime.datetime, zone: str) -> list:
    """The initial value of an ExactLocalDateTimeField for `moment` shown in `zone`."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return [local.date(), local.time().replace(tzinfo=None), zone, str(local.fold)]


class MeetingForm(SingleLineFields, forms.Form):
    starts_at = ExactLocalDateTimeField(
        label="Starts", help_text="Date, time and the zone they are in."
    )
    duration_minutes = forms.IntegerField(min_value=5, max_value=24 * 60, label="Length (minutes)")
    topic = forms.CharField(max_length=300, required=False)
    conference_link = forms.URLField(
        required=False, max_length=500, help_text="Leave empty to use the series' link."
    )
    presenters = forms.ModelMultipleChoiceField(
        queryset=Person.objects.filter(is_active=True), required=False
    )
    presenting_companies = forms.ModelMultipleChoiceField(
        queryset=Company.objects.members(), required=False
    )


class NoteForm(SingleLineFields, forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 18}), required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = NoteRevision.Field(field).label
        self.fields["text"].help_text = "Markdown: **bold**, *italic*, lists, links, tables."


class CancelForm(SingleLineFields, forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class AttendanceForm(SingleLineFields, forms.Form):
    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Attended",
    )
    guests = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Guests without an account, one per line: name, company",
    )

    def __init__(self, *args, people_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people_queryset

    def clean_guests(self) -> list[tuple[str, str]]:
        guests = []
        for line_number, line in enumerate(self.cleaned_data["guests"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _, company = line.partition(",")
            if len(name.strip()) > 200 or len(company.strip()) > 200:
                raise ValidationError(f"Line {line_number}: name or company is too long.")
            guests.append((name.strip(), company.strip()))
        return guests


ALLOWED_ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: What each type's file must start with (None: text, checked for NUL bytes instead).
MAGIC = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "application/vnd.oasis.opendocument.presentation": b"PK\x03\x04",
    "application/vnd.oasis.opendocument.text": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": b"PK\x03\x04",
}
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class AttachmentForm(SingleLineFields, forms.ModelForm):
    class Meta:
        model = Attachment
        fields = ["title", "file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1048576:.1f} MB; the limit is "
                f"{MAX_ATTACHMENT_BYTES // 1048576} MB."
            )
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        content_type = ALLOWED_ATTACHMENT_TYPES.get(extension)
        if content_type is None:
            raise ValidationError(
                "Allowed types: " + ", ".join(sorted(ALLOWED_ATTACHMENT_TYPES)) + "."
            )
        head = upload.read(2048)
        upload.seek(0)
        magic = MAGIC.get(content_type)
        if (magic and not head.startswith(magic)) or (magic is None and b"\x00" in head):
            raise ValidationError(f"The file's content is not a .{extension} file.")
        self.instance.content_type = content_type
        self.instance.size = upload.size
        self.instance.original_name = upload.name[-255:]
        return upload


class ResendForm(SingleLineFields, forms.Form):
    kind = forms.ChoiceField(choices=Delivery.Kind.choices)
    recipient = forms.EmailField(
        required=False, help_text="Leave empty to send again to everyone it went to."
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting

    def clean(self):
        data = super().clean()
        kind, recipient = data.get("kind"), data.get("recipient")
        earlier = self.meeting.deliveries.filter(kind=kind)
        if recipient:
            earlier = earlier.filter(recipient=recipient.lower())
        if kind and not earlier.exists():
            raise ValidationError(
                "Nothing of that kind went to that address yet: there is nothing to send again."
            )
        return data


class EndSeriesForm(SingleLineFields, forms.Form):
    from_date = forms.DateField(
        label="No meetings from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first date (in the zone shown) on which the series no longer meets.",
    )
    reason = forms.CharField(
        max_length=300, help_text="Goes out with the cancellation of its coming meetings."
    )


class ExtraMeetingForm(SingleLineFields, forms.Form):
    starts_at = ExactLocalDateTimeField(
        label="Starts", help_text="Date, time and the zone they are in."
    )
    duration_minutes = forms.IntegerField(
        min_value=5,
        max_value=24 * 60,
        required=False,
        label="Length (minutes)",
        help_text="Leave empty for the series' usual length.",
    )
    topic = forms.CharField(max_length=300, required=False, label="Title or topic")
    agenda = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Optional; Markdown. It goes out with the announcement.",
    )
