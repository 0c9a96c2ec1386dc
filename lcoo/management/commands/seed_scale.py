"""Scale data for benchmarks: many companies, people and meetings, deterministic and fast.

    python manage.py seed_scale --companies 100 --people 5000 --meetings 10000 \
        --agreements 2000 --seed 1

Bulk inserts only; runs on an empty database or beside the demo data (its rows are
named "Scale …" and are replaced on each run). The same seed gives the same rows, with
meeting times placed relative to the current hour.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from agreements.models import ActionItem, Agreement, ForumTopic, Position, Topic
from agreements.permissions import Visibility
from lcoo.pagecache import bump_data_version
from meetings.models import Attendance, Meeting, Series, Slot
from members.models import Company, Person, Role

ZONES = [
    "America/Los_Angeles", "America/Chicago", "America/New_York", "America/Sao_Paulo",
    "Europe/London", "Europe/Paris", "Europe/Berlin", "Africa/Johannesburg", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Seoul", "Asia/Tokyo",
    "Australia/Sydney",
]  # fmt: skip
PREFIX = "Scale"
#: Words of the register's titles and texts, so that searches find realistic matches.
SUBJECTS = [
    "upgrade", "edge", "security", "telemetry", "networking", "storage", "billing",
    "scheduling", "containers", "bare metal", "high availability", "performance",
]  # fmt: skip
ACTIONS = ["Adopt", "Document", "Test", "Harden", "Measure", "Standardise", "Review"]


class Command(BaseCommand):
    help = "Load deterministic scale data for benchmarks (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=100)
        parser.add_argument("--people", type=int, default=5000)
        parser.add_argument("--meetings", type=int, default=10000)
        parser.add_argument("--series", type=int, default=20)
        parser.add_argument(
            "--agreements",
            type=int,
            default=0,
            help="Items of the register; as many action items and a tenth as forum topics.",
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, companies, people, meetings, series, agreements, seed, **options):
        if min(companies, series) < 1 or min(people, meetings, agreements) < 0:
            raise CommandError(
                "--companies and --series need at least 1; counts cannot be negative."
            )
        began = time.perf_counter()
        # Benchmark data, not secrets (bandit B311 reviewed).
        rng = random.Random(seed)  # nosec B311
        with transaction.atomic():
            self._clear()
            company_rows = self._companies(rng, companies)
            person_rows = self._people(rng, people, company_rows)
            self._roles(company_rows, person_rows)
            series_rows = self._series(rng, series)
            meeting_rows = self._meetings(rng, meetings, series_rows)
            self._attendance(rng, meeting_rows, person_rows)
            self._register(rng, agreements, company_rows, person_rows, meeting_rows)
        if connection.vendor == "postgresql":
            # Fresh statistics, as after any bulk load: without them the planner guesses
            # the new tables are tiny and passes over the indexes (the search's GIN one).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        bump_data_version()  # bulk inserts send no signals
        self.stdout.write(
            f"Scale data: {companies} companies, {people} people, {len(series_rows)} series, "
            f"{meetings} meetings, {agreements} agreements "
            f"in {time.perf_counter() - began:.1f} s."
        )

    def _clear(self) -> None:
        ActionItem.objects.filter(title__startswith=f"{PREFIX} ").delete()
        ForumTopic.objects.filter(slug__startswith="scale-").delete()
        Position.objects.filter(agreement__slug__startswith="scale-").delete()
        Agreement.objects.filter(slug__startswith="scale-").delete()
        Topic.objects.filter(slug__startswith="scale-").delete()
        Meeting.objects.filter(series__slug__startswith="scale-").delete()
        Series.objects.filter(slug__startswith="scale-").delete()
        Role.objects.filter(company__slug__startswith="scale-").delete()
        Person.objects.filter(email__startswith="scale.").delete()
        Company.objects.filter(slug__startswith="scale-").delete()

    def _companies(self, rng: random.Random, count: int) -> list[Company]:
        rows = [
            Company(
                name=f"{PREFIX} Company {n:04d}",
                slug=f"scale-company-{n:04d}",
                hq_timezone=rng.choice(ZONES),
                status=Company.Status.MEMBER if n % 10 else Company.Status.FORMER,
                joined_on=datetime.date(2016, 1, 1) + datetime.timedelta(days=n),
                left_on=None if n % 10 else datetime.date(2024, 1, 1),
                description=f"Operator number {n}.",
            )
            for n in range(count)
        ]
        return Company.objects.bulk_create(rows, batch_size=1000)

    def _people(self, rng, count: int, companies: list[Company]) -> list[Person]:
        password = make_password(None)  # unusable: scale people do not log in
        now = timezone.now()
        rows = [
            Person(
                email=f"scale.person{n:06d}@example.org",
                full_name=f"{PREFIX} Person {n:06d}",
                company=companies[n % len(companies)] if n % 5 else None,
                time_zone=rng.choice(ZONES),
                profile_public=bool(n % 3),
                # A third asks for reminders: the reminder run has real work at scale.
                wants_reminders=n % 3 == 0,
                password=password,
                date_joined=now,
            )
            for n in range(count)
        ]
        people = Person.objects.bulk_create(rows, batch_size=2000)
        # Verified, as after signing up: announcements go to verified addresses only.
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=person, email=person.email, verified=True, primary=True)
                for person in people
            ],
            batch_size=2000,
        )
        return people

    def _roles(self, companies: list[Company], people: list[Person]) -> None:
        by_company: dict[int, list[Person]] = {}
        for person in people:
            if person.company_id:
                by_company.setdefault(person.company_id, []).append(person)
        rows = []
        for company in companies:
            staff = by_company.get(company.pk, [])
            if company.status != Company.Status.MEMBER or len(staff) < 3:
                continue
            rows += [
                Role(person=staff[0], company=company, kind=Role.Kind.EXECUTIVE,
                     starts_on=datetime.date(2020, 1, 1)),
                Role(person=staff[1], company=company, kind=Role.Kind.COORDINATOR,
                     starts_on=datetime.date(2020, 1, 1)),
                Role(person=staff[2], company=company, kind=Role.Kind.COORDINATOR,
                     starts_on=datetime.date(2020, 1, 1)),
            ]  # fmt: skip
        Role.objects.bulk_create(rows, batch_size=2000)

    def _series(self, rng, count: int) -> list[Series]:
        kinds = [Series.Kind.GENERAL, Series.Kind.FORUM, Series.Kind.SUBTEAM, Series.Kind.BOARD]
        rows = []
        for n in range(count):
            kind = kinds[n % len(kinds)]
            rows.append(
                Series(
                    name=f"{PREFIX} {Series.Kind(kind).label} {n:03d}",
                    slug=f"scale-series-{n:03d}",
                    kind=kind,
                    anchor=datetime.date(2016, 1, 4),
                    conference_link=f"https://meet.example.org/scale-{n}",
                    **Series.defaults_for(kind),
                )
            )
        series = Series.objects.bulk_create(rows)
        slots = Slot.objects.bulk_create(
            [
                Slot(
                    series=s,
                    position=p,
                    weekday=rng.randrange(5),
                    local_time=datetime.time(rng.randrange(6, 20)),
                    zone=rng.choice(ZONES),
                )
                for s in series
                for p in range(3)
            ]
        )
        self.slots = {}
        for slot in slots:
            self.slots.setdefault(slot.series_id, []).append(slot)
        return series

    def _meetings(self, rng, count: int, series: list[Series]) -> list[Meeting]:
        # Ten years of meetings, half behind us and half ahead, spread over the series.
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        first = now - datetime.timedelta(days=5 * 365)
        span_hours = 10 * 365 * 24
        rows = []
        for n in range(count):
            owner = series[n % len(series)]
            start = first + datetime.timedelta(hours=rng.randrange(span_hours))
            past = start < now
            rows.append(
                Meeting(
                    uid=uuid.UUID(int=rng.getrandbits(128)),
                    series=owner,
                    slot=self.slots[owner.pk][n % 3],
                    starts_at=start,
                    ends_at=start + datetime.timedelta(minutes=owner.duration_minutes),
                    topic=f"Topic {n}",
                    agenda=f"1. Roll call\n2. Item {n}\n3. Any other business",
                    notes=f"Notes of meeting {n}." if past else "",
                    notes_published=past and n % 4 != 0,
                    status=Meeting.Status.HELD if past else Meeting.Status.SCHEDULED,
                )
            )
        return Meeting.objects.bulk_create(rows, batch_size=2000)

    def _attendance(self, rng, meetings: list[Meeting], people: list[Person]) -> None:
        with_company = [p for p in people if p.company_id]
        if not with_company:
            return
        rows = []
        for meeting in meetings:
            if meeting.status != Meeting.Status.HELD:
                continue
            for person in rng.sample(with_company, min(3, len(with_company))):
                rows.append(
                    Attendance(meeting=meeting, person=person, company_id=person.company_id)
                )
        Attendance.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)

    def _register(
        self,
        rng: random.Random,
        count: int,
        companies: list[Company],
        people: list[Person],
        meetings: list[Meeting],
    ) -> None:
        """Agreements with positions and topics, action items, a forum topic backlog."""
        if not count:
            return
        held = [m for m in meetings if m.status == Meeting.Status.HELD]
        if not held:
            raise CommandError("--agreements needs past meetings: raise --meetings.")
        members = [c for c in companies if c.status == Company.Status.MEMBER]
        topics = Topic.objects.bulk_create(
            [
                Topic(name=f"{PREFIX} {subject}", slug=f"scale-{slugify(subject)}")
                for subject in SUBJECTS
            ]
        )
        statuses = [
            (Agreement.Status.AGREED, 5),
            (Agreement.Status.PROPOSED, 2),
            (Agreement.Status.IN_DISCUSSION, 2),
            (Agreement.Status.DECLINED, 1),
            (Agreement.Status.WITHDRAWN, 1),
        ]
        visibilities = [Visibility.PUBLIC] * 8 + [Visibility.MEMBERS, Visibility.BOARD]
        rows, subjects = [], []
        for n in range(count):
            subject, other = rng.sample(SUBJECTS, 2)
            status = rng.choices([s for s, _ in statuses], [w for _, w in statuses])[0]
            meeting = rng.choice(held)
            decided = status in (Agreement.Status.AGREED, Agreement.Status.DECLINED)
            day = meeting.starts_at.date()
            rows.append(
                Agreement(
                    title=f"{rng.choice(ACTIONS)} {subject} practices, part {n}",
                    slug=f"scale-agreement-{n:05d}",
                    summary=f"Member operators align on {subject} across their clouds.",
                    body=(
                        f"## Context\n\nOperators discussed {subject} and {other}.\n\n"
                        f"## Proposal\n\n1. Share the {other} runbooks.\n2. Report back."
                    ),
                    proposing_company=members[n % len(members)] if members else None,
                    proposed_by=people[n % len(people)] if people else None,
                    proposed_on=day - datetime.timedelta(days=rng.randrange(7, 90)),
                    status=status,
                    decided_at=meeting if decided else None,
                    decided_on=day if decided else None,
                    visibility=rng.choice(visibilities),
                )
            )
            subjects.append((subject, other))
        agreements = Agreement.objects.bulk_create(rows, batch_size=1000)
        by_subject = {t.name.removeprefix(f"{PREFIX} "): t for t in topics}
        links = Agreement.topics.through
        links.objects.bulk_create(
            [
                links(agreement_id=a.pk, topic_id=by_subject[subject].pk)
                for a, pair in zip(agreements, subjects, strict=True)
                for subject in pair
            ],
            batch_size=5000,
        )
        stances = [Position.Stance.AGREES] * 6 + [Position.Stance.OBJECTS, Position.Stance.ABSTAINS]
        Position.objects.bulk_create(
            [
                Position(agreement=a, company=c, stance=rng.choice(stances))
                for a in agreements
                for c in rng.sample(members, min(5, len(members)))
            ],
            batch_size=5000,
        )
        items = []
        for n, a in enumerate(agreements):
            done = rng.random() < 0.75
            raised = rng.choice(held)
            items.append(
                ActionItem(
                    title=f"{PREFIX} action {n}: follow up on {a.title.lower()}",
                    owner=people[n % len(people)] if people else None,
                    company=a.proposing_company,
                    due_on=raised.starts_at.date()
                    + datetime.timedelta(days=rng.randrange(14, 120)),
                    status=ActionItem.Status.DONE if done else ActionItem.Status.OPEN,
                    closed_at=raised.ends_at + datetime.timedelta(days=30) if done else None,
                    raised_at=raised,
                    agreement=a if a.visibility == Visibility.PUBLIC else None,
                )
            )
        ActionItem.objects.bulk_create(items, batch_size=2000)
        if members:
            ForumTopic.objects.bulk_create(
                [
                    ForumTopic(
                        title=f"{PREFIX} forum topic {n}: {rng.choice(SUBJECTS)} in production",
                        slug=f"scale-forum-topic-{n:05d}",
                        description="What we learned running it at scale.",
                        proposed_by_company=members[n % len(members)],
                    )
                    for n in range(max(1, count // 10))
                ],
                batch_size=2000,
            )
