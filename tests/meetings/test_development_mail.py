"""Development mode as `make run` starts it: no EMAIL_HOST, no broker. `run_due_jobs`
prints every message it sends (the console backend), meeting mail and account mail alike,
instead of failing on a call only an SMTP connection has."""

import email
import email.policy
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What the console mail backend writes after each message.
SEPARATOR = "\n" + "-" * 79 + "\n"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def development_env(database: Path) -> dict[str, str]:
    """This process's environment without any of the portal's settings but the database."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if k not in {"EMAIL_HOST", "EMAIL_PORT", "CELERY_BROKER_URL", "CACHE_URL", "DEBUG"}
        and not k.startswith(("DJANGO_", "GROUP_"))
    }
    return {**kept, "DATABASE_URL": f"sqlite:///{database}"}


def printed_messages(stdout: str) -> list[email.message.EmailMessage]:
    chunks = stdout.split(SEPARATOR)[:-1]  # the last chunk is the command's summary
    return [email.message_from_string(chunk, policy=email.policy.default) for chunk in chunks]


@pytest.mark.slow
def test_run_due_jobs_prints_every_due_message_to_the_console(tmp_path):
    database = tmp_path / "portal.sqlite3"
    env = development_env(database)
    assert manage("migrate", "--no-input", "-v0", env=env).returncode == 0
    seeded = manage("seed_demo", env=env)
    assert seeded.returncode == 0, seeded.stderr[-3000:]

    ran = manage("run_due_jobs", env=env)

    assert ran.returncode == 0, ran.stderr[-3000:]
    with sqlite3.connect(database) as db:
        deliveries = db.execute(
            "SELECT d.recipient, s.name, d.status FROM meetings_delivery d "
            "JOIN meetings_meeting m ON m.id = d.meeting_id "
            "JOIN meetings_series s ON s.id = m.series_id"
        ).fetchall()
        mail = db.execute("SELECT recipient, subject, status FROM lcoo_mail").fetchall()
    printed = sorted((str(m["To"]), str(m["Subject"])) for m in printed_messages(ran.stdout))
    # Meeting mail's subject names its series; account mail's is the one stored.
    sent = [(to, series) for to, series, status in deliveries if status == "sent"] + [
        (to, subject) for to, subject, status in mail if status == "sent"
    ]
    assert len(deliveries) > 0
    assert {status for _, _, status in deliveries + mail} <= {"sent", "superseded"}
    assert [to for to, _ in printed] == sorted(to for to, _ in sent)
    assert all(
        any(to == printed_to and name in subject for printed_to, subject in printed)
        for to, name in sent
    )
    assert ran.stdout.splitlines()[-1].endswith(
        f"{len(printed)} sent, 0 to retry, 0 failed, 0 superseded"
    )
