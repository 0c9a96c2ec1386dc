"""Benchmark: one announcement to N recipients through a real Celery worker and Redis,
to a local SMTP server, next to a plain smtplib loop sending the same messages (the floor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lcoo_bench \\
        .venv/bin/python bench/announce.py --recipients 10000

Uses (and cleans up) its own rows in the given PostgreSQL database and Redis db 15.
"""

import argparse
import datetime
import logging
import os
import pickle  # nosec B403 - our own prebuilt messages, written just before
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from lcoo.celery import app as celery_app  # noqa: E402
from meetings import announcements, sending, tasks  # noqa: E402
from meetings.messages import MessageRenderer  # noqa: E402
from meetings.models import Delivery, Meeting, Series, Slot  # noqa: E402
from members.models import Person  # noqa: E402
from tests.mailserver import MailServer  # noqa: E402
from tests.services import REDIS_URL, CeleryWorker, require_redis  # noqa: E402

PREFIX = "bench.announce."


def drop_unsent() -> None:
    """The worker sends every unsent row it finds: rows left by other runs (the drills'
    beat announces the scale data's forums) would mix into the figures."""
    dropped, _ = Delivery.objects.exclude(status=Delivery.Status.SENT).delete()
    if dropped:
        print(f"dropped {dropped} unsent messages left in the database by earlier runs")


def clean() -> None:
    Series.objects.filter(slug="bench-announce").delete()
    Person.objects.filter(email__startswith=PREFIX).delete()


def setup(recipients: int) -> Meeting:
    password = make_password(None)
    people = Person.objects.bulk_create(
        [
            Person(email=f"{PREFIX}{n:06d}@example.org", full_name=f"Bench {n}", password=password)
            for n in range(recipients)
        ],
        batch_size=5000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people],
        batch_size=5000,
    )
    series = Series.objects.create(
        name="Bench forum", slug="bench-announce", kind="forum", cadence="explicit",
        anchor=timezone.now().date(), announce_days_ahead=7, audience="public",
    )  # fmt: skip
    slot = Slot.objects.create(series=series, weekday=1, local_time=datetime.time(14), zone="UTC")
    start = timezone.now() + datetime.timedelta(days=2)
    return Meeting.objects.create(
        series=series, slot=slot, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )


def main() -> None:
    # aiosmtpd logs every SMTP command; at 10,000 messages that is the bottleneck.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--kill-after",
        type=int,
        default=0,
        help="SIGKILL the worker once this many messages arrived, then start a new one "
        "(the failure drill); 0: no kill.",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the worker must share it.")
    redis = require_redis()
    redis.flushdb()
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False)

    clean()
    drop_unsent()
    servers: list[MailServer] = []
    try:
        meeting = setup(args.recipients)
        server = MailServer().start()
        servers.append(server)
        # The worker reads the database named by DATABASE_URL, not a test database.
        workers = [CeleryWorker(email_port=server.port, concurrency=args.concurrency)]
        try:
            workers[0].start()
            decided, elapsed = measure_worker(
                meeting, server, args.concurrency, kill_after=args.kill_after, workers=workers
            )
        finally:
            for worker in workers:
                worker.stop()
        floor_server = MailServer().start()
        servers.append(floor_server)
        measure_floor(meeting, floor_server, decided / elapsed)
    finally:
        for each in servers:
            each.stop()
        clean()
        redis.flushdb()


def measure_worker(
    meeting: Meeting,
    server: MailServer,
    concurrency: int,
    *,
    kill_after: int = 0,
    workers: list[CeleryWorker],
) -> tuple[int, float]:
    began = time.perf_counter()
    decided = announcements.decide_due(series=meeting.series)
    tasks.queue_senders(decided)
    deadline = time.monotonic() + 600
    killed_at = None
    while time.monotonic() < deadline:
        if kill_after and killed_at is None and server.recorder.count() >= kill_after:
            workers[-1].kill()
            killed_at = server.recorder.count()
            replacement = CeleryWorker(email_port=server.port, concurrency=concurrency)
            workers.append(replacement)
            replacement.start()
            # What beat does every few minutes: queue senders for what is still pending.
            tasks.queue_senders(sending.pending_count())
        if not Delivery.objects.filter(meeting=meeting).exclude(status="sent").exists():
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - began
    while server.recorder.count() < decided and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # a late duplicate would arrive now
    received = server.recorder.by_recipient()
    copies = sum(len(v) for v in received.values())
    distinct = {rcpt: len(set(ids)) for rcpt, ids in received.items()}
    lost = decided - len(received)
    if killed_at is not None:
        print(f"worker SIGKILLed after {killed_at} messages had arrived; a new one took over")
    print(
        f"worker: {decided} messages in {elapsed:.1f} s = {decided / elapsed:.0f} msg/s "
        f"(concurrency {concurrency}), lost {lost}, recipients with more than one message "
        f"{sum(1 for n in distinct.values() if n > 1)}, raw duplicate copies "
        f"{copies - len(received)}"
    )
    return decided, elapsed


FLOOR_CLIENT = """
import pickle, smtplib, sys, time
messages = pickle.load(open(sys.argv[1], "rb"))
began = time.perf_counter()
with smtplib.SMTP("127.0.0.1", int(sys.argv[2])) as smtp:
    for recipient, raw in messages:
        smtp.sendmail("portal@example.org", [recipient], raw)
print(time.perf_counter() - began)
"""


def measure_floor(meeting: Meeting, server: MailServer, worker_rate: float) -> None:
    """The floor: the same messages, built first, sent by one smtplib loop in a process of
    its own (as the worker's are), to the same kind of server."""
    rows = list(
        Delivery.objects.filter(meeting=meeting).select_related("meeting__series", "person")
    )
    renderer = MessageRenderer(rows)
    messages = [(row.recipient, renderer.raw(row)) for row in rows]
    with tempfile.NamedTemporaryFile(suffix=".pickle") as prebuilt:
        pickle.dump(messages, prebuilt)
        prebuilt.flush()
        out = subprocess.run(
            [sys.executable, "-c", FLOOR_CLIENT, prebuilt.name, str(server.port)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    floor = float(out.stdout)
    rate = len(messages) / floor
    received = server.recorder.count()
    print(
        f"floor: smtplib loop, same {len(messages)} messages prebuilt: {floor:.1f} s = "
        f"{rate:.0f} msg/s ({received} received); the worker runs at "
        f"{worker_rate / rate:.2f} of the floor"
    )


if __name__ == "__main__":
    main()
