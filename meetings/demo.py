"""Demo meetings: the three series with rotating slots, a year of meetings, past notes."""

from __future__ import annotations

import datetime

from django.utils import timezone

from members.models import Person, Role

from .models import Attendance, Meeting, Series, SeriesDate, Slot
from .scheduling import extend_series

T = datetime.time

SERIES = [
    {
        "slug": "general-meeting",
        "name": "General Meeting",
        "kind": Series.Kind.GENERAL,
        "description": "Coordinators plan the Topical Forums and share the status of "
        "collaborations and community news. Open to anyone.",
        "slots": [(2, T(9, 0), "Asia/Tokyo"), (1, T(16, 0), "Europe/Paris"),
                  (1, T(14, 0), "America/Chicago")],
        "link": "https://meet.example.org/lcoo-general",
    },
    {
        "slug": "topical-forum",
        "name": "Topical Forum",
        "kind": Series.Kind.FORUM,
        "description": "Members present their priorities, pain points and accomplishments "
        "on a topic, followed by questions and discussion. Open to all.",
        "slots": [(3, T(10, 0), "Asia/Kolkata"), (3, T(15, 0), "Europe/Paris"),
                  (3, T(11, 0), "America/Los_Angeles")],
        "link": "https://meet.example.org/lcoo-forum",
        "ordinal": 2,
    },
    {
        "slug": "executive-board",
        "name": "Executive Board",
        "kind": Series.Kind.BOARD,
        "description": "The executive representatives steer the group and set its priorities.",
        "slots": [(3, T(15, 0), "Europe/Paris")],
        "link": "https://meet.example.org/lcoo-board",
    },
]  # fmt: skip

FORUM_TOPICS = [
    "Upgrading large clouds without downtime",
    "Edge sites at scale",
    "Capacity planning for GPU workloads",
    "Operating Ceph beside OpenStack",
    "Telemetry that operators actually use",
    "Security patching across hundreds of hosts",
]


def seed(stdout) -> None:
    now = timezone.now()
    start = now - datetime.timedelta(days=182)
    for spec in SERIES:
        kind = spec["kind"]
        defaults = {
            "name": spec["name"],
            "kind": kind,
            "description": spec["description"],
            "anchor": start.date(),
            "conference_link": spec["link"],
            # The board's agenda is for the board: its series announces to no public list.
            "mailing_list": "" if kind == Series.Kind.BOARD else "user-committee@lists.example.org",
            "monthly_ordinal": spec.get("ordinal", 1),
            **Series.defaults_for(kind),
        }
        series, created = Series.objects.get_or_create(slug=spec["slug"], defaults=defaults)
        if created:
            for position, (weekday, time, zone) in enumerate(spec["slots"]):
                Slot.objects.create(
                    series=series, position=position, weekday=weekday, local_time=time, zone=zone
                )
            if kind == Series.Kind.BOARD:
                for months in (-4, 2, 7):
                    SeriesDate.objects.create(
                        series=series, date=(now + datetime.timedelta(days=30 * months)).date()
                    )
            # A year of meetings: half behind us, half ahead.
            extend_series(series=series, now=start)
        extend_series(series=series, now=now)
    _past_meetings_with_notes(now)
    stdout.write(f"Meetings: {Meeting.objects.count()} in {Series.objects.count()} series.")


def _past_meetings_with_notes(now: datetime.datetime) -> None:
    coordinators = list(
        Person.objects.filter(roles__kind=Role.Kind.COORDINATOR).select_related("company")
    )
    executives = list(
        Person.objects.filter(roles__kind=Role.Kind.EXECUTIVE).select_related("company")
    )
    chair = Person.objects.filter(roles__kind=Role.Kind.CHAIR).first()
    past = Meeting.objects.filter(ends_at__lte=now, status=Meeting.Status.SCHEDULED).select_related(
        "series"
    )
    for number, meeting in enumerate(past.order_by("starts_at")):
        if meeting.series.kind == Series.Kind.FORUM:
            meeting.topic = FORUM_TOPICS[number % len(FORUM_TOPICS)]
        meeting.agenda = _agenda(meeting)
        meeting.notes = _notes(meeting)
        meeting.notes_published = True
        meeting.mark_held(now=now, commit=False)
        meeting.save()
        present = executives if meeting.is_board else coordinators[number % 3 :: 2]
        Attendance.objects.bulk_create(
            [
                Attendance(meeting=meeting, person=p, company=p.company, recorded_by=chair)
                for p in present
            ],
            ignore_conflicts=True,
        )


def _agenda(meeting: Meeting) -> str:
    return (
        "1. Roll call\n"
        "2. Status of the sub-teams\n"
        f"3. {meeting.topic or 'Planning of the next Topical Forum'}\n"
        "4. Community news\n"
        "5. Any other business\n"
    )


def _notes(meeting: Meeting) -> str:
    return (
        "## Summary\n\n"
        f"The group met for the {meeting.series.name}. "
        "Sub-teams reported progress; the next forum topic was confirmed.\n\n"
        "## Decisions\n\n"
        "- The next Topical Forum keeps its rotating slot.\n\n"
        "## Action items\n\n"
        "- Coordinators send their company's priorities before the next meeting.\n"
    )
