"""Failure drills: the portal under steady load while a service around it fails.

    make drills     (or: DATABASE_URL=postgres://… .venv/bin/python bench/drills.py)

On PostgreSQL with scale data (run `make bench` first, or seed_scale), gunicorn serves
the portal as in production with a Redis cache and broker; a Celery worker with its beat
sends mail to a local SMTP server; four threads load public pages all along.

(a) PostgreSQL restarts: requests may fail only while it is down; the portal must answer
    again within 5 s of PostgreSQL being back, with no 5xx after that.
(b) Redis stops: public pages keep serving, the join form still saves; a meeting
    scheduled meanwhile is announced once Redis is back, to everyone exactly once.
(c) A Celery worker is SIGKILLed in the middle of a 2,000-recipient fan-out: after a
    restart every recipient has exactly one message.

It restarts this machine's PostgreSQL and Redis: run it on a machine of your own, with
nothing else using them. Each drill prints what it saw; the exit status is 1 if any
drill missed its mark.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")

from run import PYTHON, SECRET, free_port, wait_for, write_section  # noqa: E402

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip
CACHE_URL = "redis://127.0.0.1:6379/2"
BROKER_URL = "redis://127.0.0.1:6379/3"
RECOVERY_SECONDS = 5.0
REPORT: list[str] = []


def say(line: str) -> None:
    print(line, flush=True)
    REPORT.append(line)


# Load ------------------------------------------------------------------------------


@dataclass
class Load:
    """Threads that GET pages in a loop and record (time, status); status 0 = no answer."""

    port: int
    paths: list[str]
    threads: int = 4
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Load:
        self._workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=10)

    def _run(self, n: int) -> None:
        counter = 0
        while not self._stop.is_set():
            path = self.paths[counter % len(self.paths)].replace("{n}", f"{n}-{counter}")
            counter += 1
            status = 0
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                time.sleep(0.05)
            with self._lock:
                self.samples.append((time.monotonic(), status))

    def between(self, start: float, end: float) -> Counter:
        with self._lock:
            return Counter(s for t, s in self.samples if start <= t < end)

    def first_ok_after(self, moment: float) -> float | None:
        with self._lock:
            return next((t for t, s in self.samples if t >= moment and s == 200), None)


def describe(counts: Counter) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{'no answer' if s == 0 else s}: {c}" for s, c in sorted(counts.items()))
    return f"{total} requests ({parts})" if total else "no requests"


# The portal and its services -------------------------------------------------------


class Portal:
    def __init__(self, mail_port: int) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": SECRET,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "SECURE_SSL_REDIRECT": "0",
            "CACHE_URL": CACHE_URL,
            "CELERY_BROKER_URL": BROKER_URL,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_port),
        }
        self.processes: list[subprocess.Popen] = []

    def start(self) -> Portal:
        command = [
            PYTHON, "-m", "gunicorn", "lcoo.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--no-control-socket", "--log-level", "error", "--timeout", "20",
        ]  # fmt: skip
        server = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)
        self.processes.append(server)
        wait_for(f"http://127.0.0.1:{self.port}/healthz")
        return self

    def start_worker(self, log: Path) -> subprocess.Popen:
        """A Celery worker with its beat; the drill settings run the beat every 3 s."""
        env = {
            **self.env,
            "DJANGO_SETTINGS_MODULE": "drill_settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        }
        command = [
            PYTHON, "-m", "celery", "-A", "lcoo", "worker", "--beat", "--concurrency", "2",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            "--schedule", str(log.with_suffix(".beat")), "--hostname", f"drill-{os.getpid()}@%h",
        ]  # fmt: skip
        with log.open("ab") as out:
            worker = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"the Celery worker did not start; see {log}")
            time.sleep(0.2)
        self.processes.append(worker)
        self.worker, self.worker_log = worker, log
        return worker

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def postgresql_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0


def redis_ready() -> bool:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "ping"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() == "PONG"


def wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# Drills ----------------------------------------------------------------------------


def drill_postgresql(portal: Portal, load: Load) -> bool:
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: int(v))[-1]
    time.sleep(2)
    before = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"],
        check=True,
    )
    down = time.monotonic()
    time.sleep(3)  # a short outage, under load
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
        check=True,
    )
    wait(postgresql_ready, 60)
    back = time.monotonic()
    time.sleep(RECOVERY_SECONDS + 10)
    end = time.monotonic()
    recovered = load.first_ok_after(back)
    recovery = (recovered - back) if recovered else float("inf")
    after = load.between(back + RECOVERY_SECONDS, end)
    errors_after = sum(c for s, c in after.items() if s == 0 or s >= 500)
    say("(a) PostgreSQL restart under load")
    say(f"    before the stop (2 s):  {describe(load.between(before - 2, before))}")
    say(f"    while down ({back - down:.1f} s): {describe(load.between(down, back))}")
    say(f"    first 200 after PostgreSQL was back: {recovery:.2f} s")
    say(f"    from {RECOVERY_SECONDS:.0f} s after it was back (10 s): {describe(after)}")
    ok = recovery <= RECOVERY_SECONDS and errors_after == 0
    say(f"    {'PASS' if ok else 'FAIL'}: recovered within {RECOVERY_SECONDS:.0f} s, no 5xx after")
    return ok


def _join(portal: Portal, company: str) -> int:
    """Apply through /join/ as a browser would: GET the form, POST it with its token."""
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=15)
    conn.request("GET", "/join/", headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    page = response.read().decode()
    cookie = next(
        (v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie"
         and v.startswith("csrftoken=")), "",
    )  # fmt: skip
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    fields = {
        "csrfmiddlewaretoken": token, "company_name": company,
        "website": "https://drill.example.org", "hq_timezone": "Europe/Paris",
        "contact_name": "Dana Drill", "contact_email": "dana@drill.example.org",
        "contact_role": "Head of cloud", "coordinator_name": "Cory Drill",
        "coordinator_email": "cory@drill.example.org", "executive_name": "Exa Drill",
        "executive_email": "exa@drill.example.org", "interests": "Edge clouds.",
        "commit_coordinator": "on", "commit_executive": "on", "commit_participate": "on",
    }  # fmt: skip
    conn.request(
        "POST", "/join/", body=urllib.parse.urlencode(fields),
        headers={"Host": "127.0.0.1", "Cookie": cookie, "Origin": f"http://127.0.0.1:{portal.port}",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    answer = conn.getresponse()
    answer.read()
    return answer.status


def _copies(mail, meeting) -> Counter:
    """Recipient -> how many messages about this meeting the SMTP server received."""
    with mail.recorder.lock:
        received = list(mail.recorder.received)
    return Counter(
        rcpt.lower()
        for item in received
        if str(meeting.uid) in (item.message_id or "")
        for rcpt in item.envelope_to
    )


def drill_redis(portal: Portal, load: Load, mail) -> bool:
    import django

    django.setup()
    from django.utils import timezone

    from joining.models import JoinApplication
    from meetings.models import Delivery, Meeting, Series, Slot

    company = f"Drill Cloud {os.getpid()}"
    time.sleep(2)
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], check=False)
    wait(lambda: not redis_ready(), 10)
    down = time.monotonic()
    # While Redis is away: a coordinator schedules a forum meeting due for announcement,
    # and a company applies.
    series = Series.objects.create(
        name="Drill forum", slug=f"drill-forum-{os.getpid()}", kind="forum",
        cadence="explicit", anchor=timezone.now().date(), announce_days_ahead=7,
        audience="public", mailing_list="drill-list@example.org",
    )  # fmt: skip
    slot = Slot.objects.create(series=series, weekday=1, local_time=datetime.time(14), zone="UTC")
    start = timezone.now() + datetime.timedelta(days=2)
    meeting = Meeting.objects.create(
        series=series, slot=slot, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )
    joined = _join(portal, company)
    time.sleep(5)
    during = load.between(down, time.monotonic())
    received_during = len(_copies(mail, meeting))
    subprocess.run(REDIS_START, check=True)
    wait(redis_ready, 20)
    back = time.monotonic()
    time.sleep(3)
    exited = portal.worker.poll()
    if exited is not None:
        # Celery 5.7 with kombu 5.7 can die on a lost Redis connection while restoring
        # unacknowledged messages ('NoneType' object has no attribute 'hostname').
        # In production its supervisor starts it again (compose: restart: unless-stopped).
        say(f"    the Celery worker exited ({exited}) on the broker loss; restarted, as its "
            "supervisor would")  # fmt: skip
        portal.start_worker(portal.worker_log)
    delivered = wait(
        lambda: (
            Delivery.objects.filter(meeting=meeting).exists()
            and not Delivery.objects.filter(meeting=meeting).exclude(status="sent").exists()
        ),
        120,
    )
    took = time.monotonic() - back
    rows = Delivery.objects.filter(meeting=meeting).count()
    time.sleep(2)  # a duplicate would come right after
    copies = _copies(mail, meeting)
    saved = JoinApplication.objects.filter(company_name=company).exists()
    served = sum(c for s, c in during.items() if s == 200)
    failed = sum(c for s, c in during.items() if s == 0 or s >= 500)
    say("(b) Redis stopped under load")
    say(f"    while down: {describe(during)}")
    say(f"    join form while down: HTTP {joined}, application saved: {saved}")
    say(f"    announcement messages sent while down: {received_during}")
    say(
        f"    after Redis was back: the announcement's {rows} messages delivered in {took:.1f} s; "
        f"recipients {len(copies)}, most copies to one recipient {max(copies.values(), default=0)}"
    )
    ok = (
        served > 0 and failed == 0 and joined == 302 and saved and delivered and rows > 0
        and len(copies) == rows and max(copies.values(), default=0) == 1
    )  # fmt: skip
    say(f"    {'PASS' if ok else 'FAIL'}: pages served, form saved, announced once when back")
    series.delete()
    return ok


def drill_worker_kill(recipients: int) -> bool:
    """The integration test's drill at full size, with its figures printed."""
    command = [PYTHON, str(ROOT / "bench" / "announce.py"), "--recipients", str(recipients),
               "--kill-after", str(recipients // 4)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    say("(c) Celery worker SIGKILLed mid fan-out")
    for line in result.stdout.strip().splitlines():
        say(f"    {line}")
    # A message the SMTP server took just before the kill, not yet marked sent, goes out
    # again with the same Message-ID (a raw copy, which mail clients fold into one);
    # what counts is that nobody is missing and nobody gets two different messages.
    ok = (
        result.returncode == 0
        and "lost 0," in result.stdout
        and "recipients with more than one message 0," in result.stdout
    )
    if result.returncode:
        say(result.stderr[-2000:])
    say(f"    {'PASS' if ok else 'FAIL'}: every recipient exactly one message, none lost")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["postgresql", "redis", "worker"], action="append")
    parser.add_argument("--recipients", type=int, default=2000)
    args = parser.parse_args()
    only = set(args.only or ["postgresql", "redis", "worker"])
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database with scale data (make bench).")
    for tool in ("pg_ctlcluster", "pg_isready", "redis-cli", "redis-server"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing")

    from tests.mailserver import MailServer

    results = []
    log = Path(f"/tmp/lcoo-drill-worker-{os.getpid()}.log")
    if only & {"postgresql", "redis"}:
        results += portal_drills(only, log, MailServer().start())
    if "worker" in only:
        results.append(drill_worker_kill(args.recipients))
    print(f"worker log: {log}")
    command = "DATABASE_URL=postgres://… make drills"
    write_section(
        "drills",
        f"## Failure drills\n\nCommand: `{command}`, {time.strftime('%Y-%m-%d')}.\n\n```\n"
        + "\n".join(REPORT)
        + "\n```\n",
    )
    sys.exit(0 if all(results) else 1)


def portal_drills(only: set[str], log: Path, mail) -> list[bool]:
    """(a) and (b): the portal with its worker and beat, under load."""
    portal = Portal(mail.port).start()
    results = []
    try:
        portal.start_worker(log)
        paths = ["/", "/members/", "/meetings/", "/agreements/", "/healthz",
                 "/meetings/?drill={n}", "/agreements/?q=upgrade&drill={n}"]  # fmt: skip
        load = Load(portal.port, paths).start()
        try:
            if "postgresql" in only:
                results.append(drill_postgresql(portal, load))
            if "redis" in only:
                results.append(drill_redis(portal, load, mail))
        finally:
            load.stop()
    finally:
        portal.stop()
        mail.stop()
    return results


if __name__ == "__main__":
    main()
