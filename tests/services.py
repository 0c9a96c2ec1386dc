"""Real services for integration tests: Redis, PostgreSQL, a Celery worker process.

On a bare machine the tests that need them skip with the reason; in CI (CI set) a
missing service fails them instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis does not answer on 127.0.0.1:6379 ({error})")
    return client


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        unavailable(
            "a Celery worker is another process and needs a database it can share: "
            "run with DATABASE_URL=postgres://… (the SQLite test database lives in memory)"
        )


def worker_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def service_env(*, email_port: int) -> dict[str, str]:
    """The environment of a process that shares this test's database, Redis db 15 and
    SMTP server: a Celery worker, or `manage.py` run as cron would."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.celery_settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(email_port),
        "PYTHONPATH": str(ROOT),
    }


def start_manage_py(*args: str, email_port: int) -> subprocess.Popen:
    """`python manage.py ARGS` in its own process; read its output with communicate()."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=service_env(email_port=email_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class CeleryWorker:
    """`celery -A lcoo worker` in its own process group, so SIGKILL takes all of it."""

    def __init__(self, *, email_port: int, concurrency: int = 2):
        self.email_port = email_port
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])

    def start(self, timeout: float = 30) -> CeleryWorker:
        env = service_env(email_port=self.email_port)
        command = [
            sys.executable, "-m", "celery", "-A", "lcoo", "worker",
            "--pool", "prefork", "--concurrency", str(self.concurrency),
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"the Celery worker did not start:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole worker: the main process and its pool children. Returns
        once every process of the group is gone, so nothing of it writes any more."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _group_running(self.process.pid):
            if time.monotonic() > deadline:
                raise AssertionError("processes of the killed worker are still running")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _group_running(pgid: int) -> bool:
    """Whether a process of this group still runs (a zombie runs no code; Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue
        if int(group) == pgid and state != "Z":
            return True
    return False


def wait_until(predicate, *, timeout: float, interval: float = 0.2, every=None) -> bool:
    """Poll `predicate`; call `every()` about once a second while waiting."""
    deadline = time.monotonic() + timeout
    last_nudge = time.monotonic()
    while time.monotonic() < deadline:
        if predicate():
            return True
        if every and time.monotonic() - last_nudge > 1:
            every()
            last_nudge = time.monotonic()
        time.sleep(interval)
    return predicate()
