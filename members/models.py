"""Companies, people, roles and sub-teams: who the group is.

Membership is by company (DESIGN.md). A member company delegates one or more
coordinators and exactly one executive representative at a time; those are
`Role` rows with dates, so history is kept and "active" is a question of the day.
"""

from __future__ import annotations

import datetime
import importlib.resources
import os
import zoneinfo
from functools import cache

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from lcoo.models import optional_person

from .signals import password_set

# --- Time zones -----------------------------------------------------------------------
#
# Which zones a person may pick: the zones of zone.tab, plus "UTC".
#
# zone.tab names one zone per region of each country (about 420), each with its
# ISO 3166 country code, so a picker can be searched by country. It leaves out what a
# person should not choose: backward-compatible aliases (US/Eastern, Asia/Calcutta,
# Europe/Kiev), Factory, localtime, posixrules and the Etc/ fixed offsets (which have
# their sign reversed). zone1970.tab would be smaller, but it merges countries (Oslo
# into Berlin) and a Norwegian company should find Europe/Oslo. Aliases are read from
# tzdata.zi's "L target alias" lines, so a stored old name can be mapped to its zone.
#
# The files are read from the same place zoneinfo reads zones: the first
# zoneinfo.TZPATH folder holding them (the system's tzdata), otherwise the `tzdata`
# package; names zoneinfo cannot load there are left out.

#: Aliases that name no place but mean UTC or the server's zone: stored ones become UTC.
_UTC_LIKE = frozenset(
    {
        "Etc/UTC",
        "Etc/UCT",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "Etc/Greenwich",
        "Etc/Universal",
        "Etc/Zulu",
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Greenwich",
        "UCT",
        "Universal",
        "Zulu",
        "localtime",
        "posixrules",
        "Factory",
    }
)


def _zone_file(name: str) -> str:
    for folder in zoneinfo.TZPATH:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()
    try:
        return importlib.resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


def _tab_rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _zone_countries() -> dict[str, str]:
    """Canonical zone name -> country name ("" for UTC)."""
    countries = {row[0]: row[1] for row in _tab_rows(_zone_file("iso3166.tab")) if len(row) > 1}
    loadable = zoneinfo.available_timezones()
    zones = {
        row[2]: countries.get(row[0], row[0])
        for row in _tab_rows(_zone_file("zone.tab"))
        if len(row) > 2 and row[2] in loadable
    }
    zones["UTC"] = ""
    return zones


@cache
def timezone_names() -> frozenset[str]:
    """The zones a person may choose (see the comment above)."""
    return frozenset(_zone_countries())


@cache
def timezone_aliases() -> dict[str, str]:
    """Old or alternative zone name -> the zone to use instead."""
    names = timezone_names()
    links = {}
    for line in _zone_file("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    aliases = dict.fromkeys(_UTC_LIKE, "UTC")
    for alias, target in links.items():
        for _hop in range(5):  # a link may point at another link
            if target in names or target not in links:
                break
            target = links[target]
        if alias not in names and target in names:
            aliases[alias] = target
    return aliases


def canonical_timezone(value: str) -> str | None:
    """The zone to use for `value` (itself, or what an alias stands for); None if unknown."""
    if value in timezone_names():
        return value
    return timezone_aliases().get(value)


def map_stored_zone_aliases(model: type[models.Model], field: str) -> int:
    """Replace the known aliases stored in `model.field` by their zone (data migrations:
    a historical model is fine); unknown names and blanks stay. The rows changed."""
    aliases = timezone_aliases()
    stored = (
        model.objects.exclude(**{f"{field}__in": timezone_names()})
        .values_list(field, flat=True)
        .distinct()
    )
    changed = 0
    for old in list(stored):
        if old in aliases:
            changed += model.objects.filter(**{field: old}).update(**{field: aliases[old]})
    return changed


def validate_timezone(value: str) -> None:
    if value in timezone_names():
        return
    instead = timezone_aliases().get(value)
    if instead:
        raise ValidationError(
            "%(value)s is an old or alternative name: choose %(instead)s instead.",
            params={"value": value, "instead": instead},
            code="invalid_timezone",
        )
    raise ValidationError(
        "%(value)s is not a time zone we offer: choose a place's zone, such as Europe/Paris, "
        "Asia/Tokyo or UTC.",
        params={"value": value},
        code="invalid_timezone",
    )


def utc_offset_label(name: str, at: datetime.datetime | None = None) -> str:
    offset = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    # ISO 8601's basic form (+0530): searchable as "+05", and not mistaken for a clock time.
    return f"UTC{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def timezone_label(name: str, at: datetime.datetime | None = None) -> str:
    """ "Europe/Paris — France — UTC+0100 (now)": what a picker shows and searches."""
    country = _zone_countries().get(name, "")
    parts = [name] + ([country] if country else []) + [f"{utc_offset_label(name, at)} (now)"]
    return " — ".join(parts)


def timezone_choices(at: datetime.datetime | None = None) -> list[tuple[str, str]]:
    now = at or timezone.now()
    return [(name, timezone_label(name, now)) for name in sorted(timezone_names())]


def _picker_choices() -> list[tuple[str, str]]:
    return [("", "Choose a zone"), *timezone_choices()]


def search_timezones(query: str, at: datetime.datetime | None = None) -> list[str]:
    """Zones whose label holds every word of `query` (city, country or offset), as
    static/js/zonepicker.js filters a picker."""
    words = query.casefold().replace("_", " ").split()
    return [
        name
        for name, label in timezone_choices(at)
        if all(word in label.casefold().replace("_", " ") for word in words)
    ]


class TimeZonePicker(forms.Select):
    """A select of the offered zones that static/js/zonepicker.js gives a search box.

    A stored value that is no longer offered (an alias) is still shown, as chosen."""

    def __init__(self, attrs=None, choices=(), *, browser_default: bool = False):
        attrs = {"data-zone-picker": "", **(attrs or {})}
        if browser_default:
            attrs["data-zone-browser-default"] = ""
        super().__init__(attrs, choices)

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        known = {str(choice) for choice, _label in self.choices}
        for stored in value:
            if stored and stored not in known:
                groups.insert(0, (None, [self.create_option(name, stored, stored, True, 0)], 0))
        return groups


class TimeZoneFormField(forms.ChoiceField):
    """A zone chosen from the picker; anything else is refused with validate_timezone's message."""

    widget = TimeZonePicker

    def __init__(self, *, browser_default: bool = False, **kwargs):
        # An empty first choice: a select must not quietly pick the first zone for anyone.
        kwargs.setdefault("choices", _picker_choices)
        super().__init__(**kwargs)
        self.widget = TimeZonePicker(
            attrs=self.widget.attrs, choices=self.choices, browser_default=browser_default
        )

    def validate(self, value):
        forms.Field.validate(self, value)
        if value not in self.empty_values:
            validate_timezone(value)


class TimeZoneField(models.CharField):
    """A zone name from timezone_names(); rows stored before may hold an alias, which
    still loads and works with zoneinfo (a data migration maps the known ones)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_timezone)

    def formfield(self, **kwargs):
        return TimeZoneFormField(
            required=not self.blank,
            label=kwargs.get("label", capfirst(self.verbose_name)),
            help_text=kwargs.get("help_text", self.help_text),
            initial=self.get_default() if self.has_default() else None,
        )


def today() -> datetime.date:
    return timezone.now().date()


class CompanyQuerySet(models.QuerySet):
    def members(self) -> CompanyQuerySet:
        return self.filter(status=Company.Status.MEMBER)

    def members_on(self, day: datetime.date) -> CompanyQuerySet:
        """Companies that were members on `day`: what a past meeting's quorum counted stays
        as it was after a company leaves."""
        return self.filter(
            Q(left_on__isnull=True) | Q(left_on__gte=day),
            status__in=[Company.Status.MEMBER, Company.Status.FORMER],
            joined_on__lte=day,
        )

    def with_active_roles(self, on: datetime.date | None = None) -> CompanyQuerySet:
        """Prefetch each company's active coordinators and executive with their people."""
        on = on or today()
        return self.prefetch_related(
            models.Prefetch(
                "roles",
                queryset=Role.objects.active(on)
                .filter(kind__in=[Role.Kind.COORDINATOR, Role.Kind.EXECUTIVE])
                .select_related("person")
                .order_by("kind", "person__full_name"),
                to_attr="active_roles",
            )
        )

    def incomplete(self, on: datetime.date | None = None) -> CompanyQuerySet:
        """Member companies lacking an active coordinator or an active executive."""
        on = on or today()
        active = Role.objects.active(on).filter(company=OuterRef("pk"))
        return self.members().filter(
            ~Exists(active.filter(kind=Role.Kind.COORDINATOR))
            | ~Exists(active.filter(kind=Role.Kind.EXECUTIVE))
        )


class Company(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        MEMBER = "member", "Member"
        FORMER = "former", "Former member"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    website = models.URLField(blank=True)
    # Blank until the company chooses it: no zone is a safe guess for a headquarters.
    hq_timezone = TimeZoneField("headquarters time zone", blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLICANT)
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    description = models.TextField("short description", blank=True, max_length=2000)
    left_reason = models.CharField("reason for leaving", max_length=300, blank=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=models.F("joined_on")),
                name="company_left_after_joined",
            ),
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:company-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.status == self.Status.MEMBER and not self.joined_on:
            raise ValidationError({"joined_on": "A member company needs the date it joined."})
        if self.status == self.Status.FORMER and not self.left_on:
            raise ValidationError({"left_on": "A former member needs the date it left."})
        if self.joined_on and self.left_on and self.left_on < self.joined_on:
            raise ValidationError({"left_on": "A company cannot leave before it joined."})

    @property
    def is_member(self) -> bool:
        return self.status == self.Status.MEMBER

    def mark_former(self, *, left_on: datetime.date, reason: str) -> None:
        """Only a member leaves: an applicant withdraws, and a former member has left."""
        if self.status != self.Status.MEMBER:
            raise ValidationError(
                f"{self.name} is not a member company ({self.get_status_display().lower()}); "
                "only a member can leave.",
                code="not_a_member",
            )
        if self.joined_on and left_on < self.joined_on:
            raise ValidationError(
                {"left_on": "A company cannot leave before it joined."}, code="left_before_joined"
            )
        self.status = self.Status.FORMER
        self.left_on = left_on
        self.left_reason = reason

    @property
    def missing_roles(self) -> list[str]:
        """Roles a member company must fill but has not; needs `with_active_roles()`."""
        present = {role.kind for role in self.active_roles}
        return [Role.Kind(kind).label.lower() for kind in Role.COMPANY_KINDS if kind not in present]


class PersonManager(BaseUserManager.from_queryset(models.QuerySet)):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> Person:
        if not email:
            raise ValueError("A person needs an e-mail address.")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_user(self, email: str, password: str | None = None, **fields) -> Person:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> Person:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str) -> Person:
        return self.get(email__iexact=username)


class Person(AbstractBaseUser, PermissionsMixin):
    """Someone who logs in. The e-mail address is the login; the company is optional."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    time_zone = TimeZoneField(default="UTC")
    profile_public = models.BooleanField(
        "public profile",
        default=False,
        help_text="Show my name and company to visitors who are not logged in.",
    )
    wants_reminders = models.BooleanField(
        "meeting reminders",
        default=False,
        help_text="Send me a reminder by e-mail a day before each meeting I may attend.",
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = "person"
        verbose_name_plural = "people"

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        if self.pk is not None:
            # What hangs on the old password (private calendar addresses) goes with it.
            password_set.send(sender=Person, person=self)

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs) -> None:
        # Addresses differ only in case for nobody we know; keep them comparable.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def get_absolute_url(self) -> str:
        return reverse("members:person-detail", kwargs={"pk": self.pk})


class RoleQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> RoleQuerySet:
        on = on or today()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on), starts_on__lte=on)

    def overlapping(self, starts_on: datetime.date, ends_on: datetime.date | None) -> RoleQuerySet:
        """Roles whose date range shares at least one day with [starts_on, ends_on]."""
        overlap = Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
        if ends_on is not None:
            overlap &= Q(starts_on__lte=ends_on)
        return self.filter(overlap)


class Role(models.Model):
    """A person's role in the group for a span of days (ends_on is the last day, inclusive)."""

    class Kind(models.TextChoices):
        CHAIR = "chair", "Chair"
        COORDINATOR = "coordinator", "Coordinator"
        EXECUTIVE = "executive", "Executive representative"
        CONTRIBUTOR = "contributor", "Contributor"

    COMPANY_KINDS = (Kind.COORDINATOR, Kind.EXECUTIVE)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="roles"
    )
    starts_on = models.DateField(default=today)
    ends_on = models.DateField(null=True, blank=True, help_text="Last day in the role.")
    granted_by = optional_person()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="role_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["coordinator", "executive"]) | Q(company__isnull=False),
                name="role_company_roles_have_company",
            ),
            models.CheckConstraint(
                condition=~Q(kind="chair") | Q(company__isnull=True),
                name="role_chair_is_group_level",
            ),
            # The full overlap rule is checked in services.grant_role; the database
            # guarantees at least that no company has two open-ended executives.
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(kind="executive", ends_on__isnull=True),
                name="role_one_open_executive_per_company",
                violation_error_message="This company already has an executive representative.",
            ),
        ]
        indexes = [models.Index(fields=["company", "kind", "ends_on"])]

    def __str__(self) -> str:
        where = f" of {self.company}" if self.company_id else ""
        return f"{self.person} — {self.get_kind_display()}{where}"

    def clean(self) -> None:
        errors = {}
        if self.kind in self.COMPANY_KINDS and not self.company_id:
            errors["company"] = "Coordinators and executive representatives act for a company."
        if self.kind == self.Kind.CHAIR and self.company_id:
            errors["company"] = "The chair role is for the whole group, not one company."
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "A role cannot end before it starts."
        if errors:
            raise ValidationError(errors)
        if self.kind == self.Kind.EXECUTIVE and self.company_id and self.starts_on:
            clash = (
                Role.objects.filter(company_id=self.company_id, kind=self.Kind.EXECUTIVE)
                .overlapping(self.starts_on, self.ends_on)
                .exclude(pk=self.pk)
                .select_related("person")
                .first()
            )
            if clash:
                raise ValidationError(
                    f"{self.company} already has an executive representative for those dates "
                    f"({clash.person}); end that role first.",
                    code="executive_overlap",
                )

    def get_constraints(self):
        # clean() checks every executive overlap, open-ended or not, with a clearer
        # message; validating the narrower database constraint too would say it twice.
        return [
            (model, [c for c in constraints if c.name != "role_one_open_executive_per_company"])
            for model, constraints in super().get_constraints()
        ]

    def is_active(self, on: datetime.date | None = None) -> bool:
        on = on or today()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)


class RoleProposal(models.Model):
    """A coordinator's proposal of a new coordinator or executive of their company, which a
    chair approves (granting the role) or declines, once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    class Kind(models.TextChoices):
        COORDINATOR = Role.Kind.COORDINATOR.value, Role.Kind.COORDINATOR.label
        EXECUTIVE = Role.Kind.EXECUTIVE.value, Role.Kind.EXECUTIVE.label

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="role_proposals")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_on = models.DateField("first day")
    note = models.CharField(max_length=300, blank=True)
    proposed_by = optional_person()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = optional_person()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.person} as {self.get_kind_display().lower()} of {self.company}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def _decide(self, status: str, *, by: Person | None, note: str) -> None:
        if not self.is_pending:
            raise ValidationError(
                f"This proposal was already {self.get_status_display().lower()}; "
                "it is decided once.",
                code="already_decided",
            )
        self.status = status
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    def approve(self, *, by: Person | None, note: str = "") -> None:
        self._decide(self.Status.APPROVED, by=by, note=note)

    def decline(self, *, by: Person | None, note: str) -> None:
        if not note.strip():
            raise ValidationError({"decision_note": "Say why the proposal is declined."})
        self._decide(self.Status.DECLINED, by=by, note=note)


class SubTeam(models.Model):
    """A team that spun off the group: a SIG, a project team or a proof-of-concept team."""

    class Kind(models.TextChoices):
        SIG = "sig", "Special interest group"
        PROJECT = "project", "Project team"
        POC = "poc", "Proof-of-concept team"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    description = models.TextField(blank=True)
    lead = optional_person(related_name="led_sub_teams")
    members = models.ManyToManyField(
        Person, through="SubTeamMembership", related_name="sub_teams", blank=True
    )
    is_active = models.BooleanField(default=True)
    created_on = models.DateField(default=today)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:subteam-detail", kwargs={"slug": self.slug})


class SubTeamMembership(models.Model):
    class Affiliation(models.TextChoices):
        MEMBER_COMPANY = "member-company", "Expert from a member company"
        COMMUNITY = "community", "Community expert"
        INTERESTED = "interested", "Interested individual"

    sub_team = models.ForeignKey(SubTeam, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    affiliation = models.CharField(max_length=16, choices=Affiliation.choices)
    joined_on = models.DateField(default=today)

    class Meta:
        ordering = ["person__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["sub_team", "person"], name="subteam_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.sub_team}"


class ToolLink(models.Model):
    """A link on the public "tools" page; staff keep them in the admin."""

    class Category(models.TextChoices):
        ISSUES = "issues", "Issue tracking"
        CODE = "code", "Code hosting"
        CHAT = "chat", "Chat"
        WIKI = "wiki", "Wiki and documents"
        MEETINGS = "meetings", "Web meetings"
        MAILING_LIST = "mailing-list", "Mailing list"
        OTHER = "other", "Other"

    name = models.CharField(max_length=100)
    category = models.CharField(max_length=16, choices=Category.choices)
    url = models.URLField()
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_visible = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name
