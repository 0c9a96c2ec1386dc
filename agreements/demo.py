"""Demo register: agreements decided at past meetings, open and overdue action items, and
a backlog of Topical Forum topics. Runs after the meetings' demo; safe to run again
(items are keyed by slug or title and only created once)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from meetings.models import Meeting, Series
from members.models import Company, Person

from . import services
from .models import ActionItem, Agreement, ForumTopic, Position, Topic, meeting_date
from .permissions import Visibility

TOPICS = [
    ("Upgrades", "Upgrading large clouds in place, release after release."),
    ("Testing", "Extreme, destructive and scale testing shared between operators."),
    ("Security", "Patching, hardening and vulnerability handling."),
    ("Edge", "Many small sites run as one distributed cloud."),
    ("Telemetry", "Metrics and events operators actually use."),
    ("Capacity", "Capacity planning, GPUs and accelerators."),
    ("Governance", "How the group works."),
]

YES, NO, ABSTAIN = Position.Stance.AGREES, Position.Stance.OBJECTS, Position.Stance.ABSTAINS

# slug: (title, company slug or None, topics, visibility, summary, body, workflow)
# A workflow is a list of steps: ("discuss", GM index), ("agree"/"decline", meeting key),
# ("withdraw",), ("positions", {company slug: stance}). Meeting keys: ("gm", i) is the
# i-th past General Meeting counted from the latest (1 = the latest), ("board", 1) the
# latest past Executive Board meeting.
AGREEMENTS = {
    "share-extreme-testing-results": (
        "Share extreme-testing results under Apache 2.0",
        "att",
        ["Testing", "Governance"],
        Visibility.PUBLIC,
        "Member companies publish the results and tooling of their destructive and "
        "large-scale tests under the Apache 2.0 licence, in the Extreme Testing "
        "repositories.",
        "## Proposal\n\nEach member company that runs destructive or large-scale tests of "
        "its OpenStack clouds publishes:\n\n1. the test plans and tooling,\n2. the results, "
        "with the software versions tested,\n3. the upstream bugs it filed.\n\n"
        "## Why\n\nEvery operator repeats the same tests. Shared results let us spend "
        "the time on what nobody has tested yet.\n\n## Licence\n\nApache 2.0, like "
        "OpenStack itself.",
        [
            (
                "positions",
                {"att": YES, "intel": YES, "ntt": YES, "orange": YES, "sk-telecom": ABSTAIN},
            ),
            ("agree", ("gm", 11)),
        ],
    ),
    "rolling-upgrade-runbook": (
        "A shared rolling-upgrade runbook",
        "ntt",
        ["Upgrades"],
        Visibility.PUBLIC,
        "The Rolling Upgrades SIG writes one runbook for upgrading a large cloud without "
        "downtime, tested by at least two member companies before each release.",
        "The runbook covers the control plane, the compute nodes and the database "
        "migrations, with the **checks before and after** each step.\n\nIt lives in the "
        "SIG's repository and is reviewed at each General Meeting until it is done.",
        [
            ("discuss", ("gm", 10)),
            ("positions", {"ntt": YES, "sk-telecom": YES, "intel": YES, "orange": YES, "att": YES}),
            ("agree", ("gm", 9)),
        ],
    ),
    "forum-slots-rotate-three-regions": (
        "Topical Forum slots rotate across three regions",
        "orange",
        ["Governance"],
        Visibility.PUBLIC,
        "The monthly Topical Forum rotates between an Asian, a European and an American "
        "slot, so no member company always meets at night.",
        "Slots: Asia/Kolkata 10:00, Europe/Paris 15:00, America/Los_Angeles 11:00.",
        [
            ("positions", {"orange": YES, "reliance-jio": YES, "ntt": YES, "att": YES}),
            ("agree", ("gm", 12)),
        ],
    ),
    "forum-slots-rotate-with-recording": (
        "Topical Forum slots rotate, and every forum is recorded",
        "reliance-jio",
        ["Governance"],
        Visibility.PUBLIC,
        "The Topical Forum keeps its three rotating slots and every session is recorded "
        "and published within a week, for the companies whose night it falls in.",
        "Replaces the earlier agreement on rotating slots: the rotation stays, and the "
        "recordings go to the group's video channel with the slides.",
        [
            ("supersedes", "forum-slots-rotate-three-regions"),
            ("discuss", ("gm", 6)),
            ("positions", {"reliance-jio": YES, "orange": YES, "ntt": YES, "sk-telecom": YES}),
            ("agree", ("gm", 5)),
        ],
    ),
    "common-security-patching-window": (
        "A common security-patching window",
        "sk-telecom",
        ["Security"],
        Visibility.PUBLIC,
        "Member companies apply embargoed security fixes within the same 72-hour window "
        "after disclosure, and share their rollout notes.",
        "A shared window lets us compare notes while the fix is fresh. Companies that "
        "cannot meet it say so in advance.",
        [
            ("discuss", ("gm", 2)),
            ("positions", {"sk-telecom": YES, "att": YES, "orange": ABSTAIN, "intel": NO}),
        ],
    ),
    "telemetry-requirements": (
        "Operators' telemetry requirements document",
        "reliance-jio",
        ["Telemetry"],
        Visibility.PUBLIC,
        "The group writes down the metrics and events its members need from the "
        "telemetry projects, and brings the document to the project teams.",
        "A first draft lists 40 metrics; comments welcome before the next General Meeting.",
        [],
    ),
    "edge-reference-architecture": (
        "An edge reference architecture from the PoC team",
        "reliance-jio",
        ["Edge"],
        Visibility.PUBLIC,
        "The Distributed Edge PoC team publishes its architecture as the group's "
        "reference for edge sites.",
        "",
        [("discuss", ("gm", 8)), ("withdraw",)],
    ),
    "publish-notes-within-a-week": (
        "Meeting notes are published within a week",
        None,
        ["Governance"],
        Visibility.PUBLIC,
        "The chairs publish the notes of every General Meeting and Topical Forum within "
        "a week, with the decisions and action items.",
        "",
        [("agree", ("gm", 13))],
    ),
    "on-call-operators-contact-list": (
        "A members-only list of on-call operators",
        "att",
        ["Security", "Governance"],
        Visibility.MEMBERS,
        "Each member company names an on-call operator contact for incidents that "
        "cross clouds; the list is visible to the group's members only.",
        "The list is kept in the portal and reviewed every quarter.",
        [("positions", {"att": YES, "ntt": YES, "orange": YES}), ("agree", ("gm", 4))],
    ),
    "priorities-next-release-cycle": (
        "The group's priorities for the next release cycle",
        None,
        ["Upgrades", "Capacity"],
        Visibility.BOARD,
        "The Executive Board sets three priorities: upgrades without downtime, GPU "
        "capacity, and edge sites.",
        "Agreed by the executive representatives; coordinators turn them into forum "
        "topics and sub-team goals.",
        [("agree", ("board", 1))],
    ),
    "shared-gpu-capacity-lab": (
        "Fund a shared GPU capacity lab",
        "intel",
        ["Capacity"],
        Visibility.BOARD,
        "Member companies co-fund a lab of GPU hosts for capacity and scheduling tests.",
        "Declined for now: the companies prefer to lend hardware case by case.",
        [
            ("positions", {"intel": YES, "att": NO, "orange": NO, "ntt": ABSTAIN}),
            ("decline", ("board", 1)),
        ],
    ),
}

# (title, owner e-mail local part, due in days from today or None, status, meeting key,
#  agreement slug or None, visibility)
ACTION_ITEMS = [
    ("Publish the first extreme-testing results", "coord.att", -21, "open", ("gm", 6),
     "share-extreme-testing-results", Visibility.PUBLIC),
    ("Draft the outline of the rolling-upgrade runbook", "coord.ntt", -60, "done", ("gm", 9),
     "rolling-upgrade-runbook", Visibility.PUBLIC),
    ("Test the runbook's database-migration steps", "coord2.intel", 12, "open", ("gm", 3),
     "rolling-upgrade-runbook", Visibility.PUBLIC),
    ("Collect each company's patching constraints", "coord.skt", 10, "open", ("gm", 2),
     "common-security-patching-window", Visibility.PUBLIC),
    ("Send speaker suggestions for the next forums", "coord.orange", -5, "open", ("gm", 3),
     None, Visibility.PUBLIC),
    ("Comment on the telemetry requirements draft", "coord.jio", None, "open", ("gm", 1),
     "telemetry-requirements", Visibility.PUBLIC),
    ("Set up the recording of the Topical Forums", "chair.kenji", -40, "done", ("gm", 5),
     "forum-slots-rotate-with-recording", Visibility.PUBLIC),
    ("Name an on-call operator contact per company", "coord.intel", -3, "open", ("gm", 4),
     "on-call-operators-contact-list", Visibility.MEMBERS),
    ("Ask the User Committee for a mailing-list tag", "chair.ada", -90, "dropped", ("gm", 12),
     None, Visibility.PUBLIC),
    ("Turn the board's priorities into forum topics", "chair.ada", 20, "open", ("board", 1),
     "priorities-next-release-cycle", Visibility.BOARD),
]  # fmt: skip

# (title, company slug, interested company slugs, status, description)
BACKLOG = [
    ("Bare-metal provisioning with Ironic", "intel",
     ["att", "ntt"], ForumTopic.Status.PROPOSED,
     "How each member provisions and recycles bare-metal hosts at scale."),
    ("Onboarding network functions", "att",
     ["reliance-jio", "orange", "ntt"], ForumTopic.Status.PROPOSED,
     "From a vendor's package to a running network function: what breaks, what helps."),
    ("Identity across many regions", "orange", ["sk-telecom"],
     ForumTopic.Status.PROPOSED,
     "Keystone federation and replication across regions and continents."),
    ("Cost reporting for tenants", "sk-telecom", [],
     ForumTopic.Status.PROPOSED, "Showback and chargeback that tenants trust."),
    ("Kubernetes on OpenStack, the 2016 view", "intel", [],
     ForumTopic.Status.DROPPED, "Dropped: covered by the sub-team on containers."),
]  # fmt: skip

NEXT_FORUM_TOPIC = (
    "Live migration at scale",
    "ntt",
    ["ntt", "orange", "sk-telecom"],
    "Moving thousands of instances off hosts for maintenance: tooling, limits, numbers.",
)


def seed(stdout) -> None:
    now = timezone.now()
    companies = {c.slug: c for c in Company.objects.members()}
    people = {
        p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith="@example.org")
    }
    if not companies or not people:
        stdout.write("Agreements: no demo companies or people; nothing to do.")
        return
    meetings = _past_meetings(now)
    topics = {
        name: Topic.objects.update_or_create(
            name=name, defaults={"slug": name.lower(), "description": description}
        )[0]
        for name, description in TOPICS
    }
    for slug, spec in AGREEMENTS.items():
        if not Agreement.objects.filter(slug=slug).exists():
            _create_agreement(slug, spec, companies, people, meetings, topics)
    for spec in ACTION_ITEMS:
        _create_action_item(spec, people, meetings, now)
    _forum_topics(companies, people, meetings, now)
    stdout.write(
        f"Agreements: {Agreement.objects.count()} in the register, "
        f"{ActionItem.objects.open().count()} open action items "
        f"({ActionItem.objects.overdue().count()} overdue), "
        f"{ForumTopic.objects.backlog().count()} forum topics in the backlog."
    )


def _past_meetings(now: datetime.datetime) -> dict[tuple[str, int], Meeting]:
    keys = {}
    for prefix, kind in (("gm", Series.Kind.GENERAL), ("board", Series.Kind.BOARD),
                         ("forum", Series.Kind.FORUM)):  # fmt: skip
        past = (
            Meeting.objects.filter(series__kind=kind, starts_at__lte=now)
            .exclude(status=Meeting.Status.CANCELLED)
            .select_related("series", "slot")
            .order_by("-starts_at")
        )
        for number, meeting in enumerate(past, start=1):
            keys[(prefix, number)] = meeting
    return keys


def _meeting(meetings: dict, key: tuple[str, int]) -> Meeting | None:
    # With fewer past meetings than planned (a short demo), use the oldest one there is.
    while key not in meetings and key[1] > 1:
        key = (key[0], key[1] - 1)
    return meetings.get(key)


def _coordinator_of(company_slug: str | None, people: dict) -> Person:
    local = {
        "att": "coord.att",
        "intel": "coord.intel",
        "ntt": "coord.ntt",
        "orange": "coord.orange",
        "reliance-jio": "coord.jio",
        "sk-telecom": "coord.skt",
    }.get(company_slug or "", "chair.ada")
    return people.get(local) or next(iter(people.values()))


def _create_agreement(slug, spec, companies, people, meetings, topics) -> None:
    title, company_slug, topic_names, visibility, summary, body, workflow = spec
    decisions = [_meeting(meetings, step[1]) for step in workflow if len(step) > 1 and
                 step[0] in ("discuss", "agree", "decline")]  # fmt: skip
    first = min((m for m in decisions if m), key=lambda m: m.starts_at, default=None)
    proposed_on = (
        meeting_date(first) - datetime.timedelta(days=9)
        if first
        else (timezone.now().date() - datetime.timedelta(days=6))
    )
    proposer = _coordinator_of(company_slug, people)
    agreement = Agreement(
        slug=slug,
        title=title,
        summary=summary,
        body=body,
        proposing_company=companies.get(company_slug) if company_slug else None,
        proposed_by=proposer,
        proposed_on=proposed_on,
        visibility=visibility,
    )
    supersedes = next((step[1] for step in workflow if step[0] == "supersedes"), None)
    if supersedes:
        agreement.supersedes = Agreement.objects.get(slug=supersedes)
    services.save_agreement(
        agreement=agreement, actor=proposer, topics=[topics[name] for name in topic_names]
    )
    chair = people.get("chair.ada", proposer)
    for step in workflow:
        action = step[0]
        if action == "positions":
            for company, stance in step[1].items():
                if company in companies:
                    services.record_position(
                        agreement=agreement,
                        company=companies[company],
                        stance=stance,
                        actor=_coordinator_of(company, people),
                    )
        elif action in ("discuss", "agree", "decline"):
            meeting = _meeting(meetings, step[1])
            if meeting is None:
                continue
            if action == "discuss":
                services.change_agreement_status(
                    agreement=agreement,
                    status=Agreement.Status.IN_DISCUSSION,
                    actor=chair,
                    meeting=meeting,
                )
            else:
                services.change_agreement_status(
                    agreement=agreement,
                    status=Agreement.Status.AGREED
                    if action == "agree"
                    else Agreement.Status.DECLINED,
                    actor=chair,
                    meeting=meeting,
                )
        elif action == "withdraw":
            services.change_agreement_status(
                agreement=agreement, status=Agreement.Status.WITHDRAWN, actor=proposer
            )
    agreement.refresh_from_db()
    _date_history(agreement, proposed_on, decisions)
    if agreement.supersedes_id and agreement.status == Agreement.Status.AGREED:
        # The earlier agreement was superseded when this one was agreed.
        decided = agreement.decided_at.ends_at
        Agreement.history.filter(
            id=agreement.supersedes_id, status=Agreement.Status.SUPERSEDED
        ).update(history_date=decided)
        Agreement.objects.filter(pk=agreement.supersedes_id).update(updated_at=decided)


def _date_history(agreement: Agreement, proposed_on: datetime.date, decisions: list) -> None:
    """Give the demo history plausible dates: the proposal, then each meeting's end."""
    proposed_at = datetime.datetime.combine(proposed_on, datetime.time(9), tzinfo=datetime.UTC)
    steps = [proposed_at] + [m.ends_at for m in decisions if m]
    rows = list(agreement.history.order_by("history_date", "history_id"))
    for index, row in enumerate(rows):
        when = steps[min(index, len(steps) - 1)]
        type(row).objects.filter(pk=row.pk).update(history_date=when)
    # Positions are taken at the meeting before the decision, or on proposal.
    position_time = steps[-2] if len(steps) > 1 else proposed_at
    Position.objects.filter(agreement=agreement).update(recorded_at=position_time)
    Position.history.filter(agreement_id=agreement.pk).update(history_date=position_time)
    Agreement.objects.filter(pk=agreement.pk).update(created_at=proposed_at, updated_at=steps[-1])


def _create_action_item(spec, people, meetings, now) -> None:
    title, owner_local, due_in, status, meeting_key, agreement_slug, visibility = spec
    if ActionItem.objects.filter(title=title).exists():
        return
    meeting = _meeting(meetings, meeting_key)
    owner = people.get(owner_local)
    if meeting is None or owner is None:
        return
    due_on = None
    if due_in is not None:
        due_on = max(now.date() + datetime.timedelta(days=due_in), meeting_date(meeting))
    item = ActionItem(
        title=title,
        owner=owner,
        due_on=due_on,
        raised_at=meeting,
        agreement=Agreement.objects.filter(slug=agreement_slug).first() if agreement_slug else None,
        visibility=visibility,
    )
    chair = people.get("chair.ada", owner)
    services.save_action_item(item=item, actor=chair)
    ActionItem.history.filter(id=item.pk).update(history_date=meeting.ends_at)
    if status != ActionItem.Status.OPEN:
        # Closed a few days before it was due (or after the meeting, if undated).
        closed_at = min(
            datetime.datetime.combine(
                (due_on or meeting_date(meeting)) - datetime.timedelta(days=3),
                datetime.time(12),
                tzinfo=datetime.UTC,
            ),
            now,
        )
        closed_at = max(closed_at, meeting.ends_at)
        services.close_action_item(item=item, status=status, actor=owner, now=closed_at)
        ActionItem.history.filter(id=item.pk, status=status).update(history_date=closed_at)
    ActionItem.objects.filter(pk=item.pk).update(created_at=meeting.ends_at)


def _forum_topics(companies, people, meetings, now) -> None:
    # The forums already held presented the topics the meetings' demo gave them.
    for number in range(1, 13):
        forum = meetings.get(("forum", number))
        if forum is None or not forum.topic:
            continue
        if ForumTopic.objects.filter(title=forum.topic).exists():
            continue
        presenters = [list(companies.values())[(number + k) % len(companies)] for k in (0, 2)]
        topic = ForumTopic.objects.create(
            slug=services.unique_slug(ForumTopic, forum.topic, fallback="topic"),
            title=forum.topic,
            description="Presented at a Topical Forum; see its notes.",
            proposed_by_company=presenters[0],
            proposed_by=_coordinator_of(presenters[0].slug, people),
            status=ForumTopic.Status.PRESENTED,
            forum=forum,
            assigned_at=_general_meeting_before(forum),
        )
        topic.interested_companies.set(presenters)
        forum.presenting_companies.set(presenters)
    for title, company, interested, status, description in BACKLOG:
        if ForumTopic.objects.filter(title=title).exists() or company not in companies:
            continue
        topic = services.propose_forum_topic(
            title=title,
            description=description,
            company=companies[company],
            actor=_coordinator_of(company, people),
        )
        topic.interested_companies.add(*[companies[c] for c in interested if c in companies])
        if status == ForumTopic.Status.DROPPED:
            services.move_forum_topic(topic=topic, action="drop")
    title, company, presenting, description = NEXT_FORUM_TOPIC
    next_forum = (
        Meeting.objects.filter(series__kind=Series.Kind.FORUM, starts_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("series")
        .order_by("starts_at")
        .first()
    )
    general = _meeting(meetings, ("gm", 1))
    if ForumTopic.objects.filter(title=title).exists() or not next_forum or not general:
        return
    topic = services.propose_forum_topic(
        title=title,
        description=description,
        company=companies[company],
        actor=_coordinator_of(company, people),
    )
    topic.interested_companies.add(*[companies[c] for c in presenting])
    services.assign_forum_topic(
        topic=topic,
        forum=next_forum,
        general_meeting=general,
        presenting_companies=[companies[c] for c in presenting],
    )


def _general_meeting_before(forum: Meeting) -> Meeting | None:
    return (
        Meeting.objects.filter(series__kind=Series.Kind.GENERAL, starts_at__lt=forum.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at")
        .first()
    )
