"""Announcements through a real Celery worker, a real Redis broker and a real SMTP server.

Slow by nature (worker processes start and die here): marked `slow`; CI runs them.
"""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from lcoo.celery import app as celery_app
from meetings import announcements, tasks
from meetings.models import Delivery
from members.models import Person
from tests.factories import MeetingFactory, SeriesFactory, SlotFactory
from tests.mailserver import MailServer, free_port
from tests.services import (
    REDIS_URL,
    CeleryWorker,
    require_postgresql,
    require_redis,
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


def test_worker_killed_mid_fan_out_loses_nothing_and_duplicates_nothing(broker, workers):
    meeting = forum_meeting(2000)
    server = MailServer().start()
    try:
        worker = workers(server.port)
        decided = decide_and_queue()
        assert decided == 2001  # 2,000 people and the mailing list

        reached = wait_until(lambda: server.recorder.count() >= 500, timeout=60)
        worker.kill()
        at_kill = server.recorder.count()
        assert reached, worker.tail()
        assert at_kill < decided, "the fan-out finished before the kill: nothing was tested"

        restarted = workers(server.port)
        done = wait_until(all_sent, timeout=120, every=nudge)
        assert done, restarted.tail()
        wait_until(lambda: server.recorder.count() >= decided, timeout=10)

        received = server.recorder.by_recipient()
        distinct = {rcpt: set(ids) for rcpt, ids in received.items()}
        copies = sum(len(ids) for ids in received.values())
        print(
            f"\nkill drill: {at_kill} delivered before SIGKILL, {len(distinct)} recipients "
            f"reached, {copies - len(distinct)} extra copies of in-flight messages"
        )
        assert len(distinct) == decided
        assert {len(ids) for ids in distinct.values()} == {1}
        # Only a message in flight at the kill can arrive twice: one per pool process.
        assert copies - len(distinct) <= 2
        assert meeting.deliveries.filter(status="sent").count() == decided
    finally:
        server.stop()


def test_smtp_down_retried_then_delivered_once(broker, workers):
    forum_meeting(5)
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
    finally:
        server.stop()


def test_deciding_twice_through_the_worker_sends_once(broker, workers):
    forum_meeting(20)
    server = MailServer().start()
    try:
        workers(server.port)

        tasks.decide_and_send.delay()
        tasks.decide_and_send.delay()
        wait_until(lambda: server.recorder.count() >= 21, timeout=60)
        wait_until(all_sent, timeout=10)
        received = server.recorder.by_recipient()

        assert len(received) == 21
        assert {len(ids) for ids in received.values()} == {1}
        assert Delivery.objects.count() == 21
    finally:
        server.stop()
