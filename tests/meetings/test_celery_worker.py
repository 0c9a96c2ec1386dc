"""Announcements through a real Celery worker, a real Redis broker and a real SMTP server.

Slow by nature (worker processes start and die here): marked `slow`; CI runs them.
"""

import datetime
import re
import time

import icalendar
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from lcoo.celery import app as celery_app
from meetings import announcements, sending, tasks
from meetings.ical import uid_for
from meetings.models import Delivery, Meeting
from members.models import Person
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory
from tests.mailserver import MailServer, Received, free_port
from tests.services import (
    REDIS_URL,
    CeleryWorker,
    require_postgresql,
    require_redis,
    start_manage_py,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    """Send tasks to Redis from this process (the portal's default is in-process)."""
    require_postgresql()
    client = require_redis()
    client.flushdb()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    reset_connections()
    yield client
    celery_app.conf.update(saved)
    reset_connections()
    client.flushdb()


def reset_connections() -> None:
    """Drop pooled broker connections, so the next send uses the broker now configured."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def workers():
    started: list[CeleryWorker] = []

    def start(email_port: int) -> CeleryWorker:
        worker = CeleryWorker(email_port=email_port).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def forum_meeting(people: int):
    """A Topical Forum in two days (announced a week ahead) and `people` verified people."""
    password = make_password(None)
    persons = Person.objects.bulk_create(
        [
            Person(email=f"member{n:05d}@example.org", full_name=f"Member {n}", password=password)
            for n in range(people)
        ]
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in persons]
    )
    series = SeriesFactory(
        name="Topical Forum",
        kind="forum",
        cadence="explicit",
        announce_days_ahead=7,
        mailing_list="user-committee@lists.example.org",
    )
    slot = SlotFactory(series=series, zone="Europe/Paris")
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=2)
    return MeetingFactory(
        series=series, slot=slot, starts_at=start, ends_at=start + datetime.timedelta(minutes=90)
    )


def decide_and_queue() -> int:
    decided = announcements.decide_due()
    tasks.queue_senders(decided)
    return decided


def all_sent() -> bool:
    return not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()


def nudge() -> None:
    """What beat does every few minutes: queue a sender for whatever is still due."""
    tasks.send_pending_deliveries.delay()


def calendar_facts(received: Received) -> tuple[str, str, int]:
    """(METHOD, UID, SEQUENCE) of the message's .ics attachment, read with icalendar."""
    part = next(
        p for p in received.message.iter_attachments() if p.get_content_type() == "text/calendar"
    )
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])


def test_worker_killed_mid_fan_out_loses_nothing_and_resends_nothing_marked_sent(broker, workers):
    meeting = forum_meeting(2000)
    server = MailServer().start()
    try:
        worker = workers(server.port)
        decided = decide_and_queue()
        assert decided == 2001  # 2,000 people and the mailing list

        reached = wait_until(lambda: server.recorder.count() >= 500, timeout=60)
        worker.kill()
        # The worker is gone, so this is the state it left: marked sent, or leased and
        # maybe in flight (sent, not yet marked), or still pending.
        at_kill = dict(meeting.deliveries.values_list("recipient", "status"))
        marked = {rcpt for rcpt, status in at_kill.items() if status == Delivery.Status.SENT}
        in_flight = {rcpt for rcpt, status in at_kill.items() if status == Delivery.Status.SENDING}
        received_at_kill = server.recorder.count()
        assert reached, worker.tail()
        assert received_at_kill < decided, "the fan-out finished before the kill"
        assert in_flight, "the kill fell between two batches: nothing was in flight"

        restarted = workers(server.port)
        done = wait_until(all_sent, timeout=120, every=nudge)
        assert done, restarted.tail()
        received = server.recorder.by_recipient()
        copies = {rcpt: len(ids) for rcpt, ids in received.items()}
        twice = {rcpt for rcpt, count in copies.items() if count > 1}
        print(
            f"\nkill drill: {received_at_kill} received before SIGKILL, {len(marked)} rows "
            f"marked sent and {len(in_flight)} in flight at the kill; {len(twice)} of those "
            f"in flight reached the server twice"
        )

        assert set(received) == set(at_kill)
        assert len(received) == decided
        assert {len(set(ids)) for ids in received.values()} == {1}
        # A row marked sent is never sent again, nor is one that was still pending.
        assert {copies[rcpt] for rcpt in marked} == {1}
        assert {copies[rcpt] for rcpt in set(at_kill) - in_flight} == {1}
        # Only a message in flight (accepted by the server, not yet marked) at the kill
        # arrives twice: at most one extra copy, and one per pool process of the worker.
        assert twice <= in_flight
        assert max(copies.values()) <= 2
        assert len(twice) <= worker.concurrency <= sending.BATCH
        assert len(in_flight) <= sending.BATCH * worker.concurrency
        assert meeting.deliveries.filter(status="sent").count() == decided
        assert calendar_facts(server.recorder.received[-1]) == (
            "PUBLISH",
            uid_for(meeting),
            meeting.revision,
        )
    finally:
        server.stop()


def test_smtp_down_retried_then_delivered_once(broker, workers):
    meeting = forum_meeting(5)
    port = free_port()
    workers(port)  # no SMTP server on that port yet

    decide_and_queue()
    failed_once = wait_until(
        lambda: Delivery.objects.filter(attempts__gte=1, status="pending").count() == 6,
        timeout=30,
    )
    server = MailServer(port).start()
    try:
        delivered = wait_until(all_sent, timeout=60)
        received = server.recorder.by_recipient()

        assert failed_once
        assert delivered
        assert "ConnectionRefusedError" in Delivery.objects.first().last_error
        assert {len(ids) for ids in received.values()} == {1}
        assert len(received) == 6
        assert {calendar_facts(item) for item in server.recorder.received} == {
            ("PUBLISH", uid_for(meeting), 0)
        }
    finally:
        server.stop()


def test_run_due_jobs_twice_beside_a_worker_sends_each_message_once(broker, workers):
    meeting = forum_meeting(20)
    server = MailServer().start()
    try:
        workers(server.port)

        # Two cron runs at once, and the worker nudged as beat would: all race for the rows.
        runs = [start_manage_py("run_due_jobs", email_port=server.port) for _ in range(2)]
        while any(run.poll() is None for run in runs):
            nudge()
            time.sleep(0.3)
        outputs = [run.communicate(timeout=60) for run in runs]
        delivered = wait_until(all_sent, timeout=30, every=nudge)
        received = server.recorder.by_recipient()
        decided = sorted(
            int(re.search(r"(\d+) messages decided", out).group(1)) for out, _ in outputs
        )

        assert [run.returncode for run in runs] == [0, 0], outputs
        assert delivered
        assert decided == [0, 21]
        assert Delivery.objects.count() == 21
        assert len(received) == 21
        assert {len(ids) for ids in received.values()} == {1}  # raw copies, not just distinct
        assert {calendar_facts(item) for item in server.recorder.received} == {
            ("PUBLISH", uid_for(meeting), Meeting.objects.get(pk=meeting.pk).revision)
        }
    finally:
        server.stop()
