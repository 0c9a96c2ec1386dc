import datetime
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.core import mail
from django.utils import timezone

from lcoo import pagecache, transport
from members.models import Role

from .factories import (
    CompanyFactory,
    MeetingFactory,
    PersonFactory,
    RoleFactory,
    SeriesFactory,
    SlotFactory,
)
from .services import unavailable


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher takes a large fraction of a second by design; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate limits (allauth) and page caches live in the cache; each test starts afresh.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class _OutboxTheWorkerEmpties(list):
    """`mail.outbox` for the tests. Every message leaves through the portal's outbox, which
    the worker empties once the change that wrote it commits; a test runs inside a
    transaction that never commits, so reading the sent mail first does the worker's
    part (the real sending code, into Django's memory backend)."""

    _sending = False

    def _send_waiting(self) -> None:
        if self._sending:
            return
        self._sending = True
        try:
            while transport.deliver_pending_mail(due_only=False).sent:
                pass
        except RuntimeError:
            pass  # a test without database access has no outbox to read
        finally:
            self._sending = False

    def __len__(self):
        self._send_waiting()
        return super().__len__()

    def __iter__(self):
        self._send_waiting()
        return super().__iter__()

    def __getitem__(self, index):
        self._send_waiting()
        return super().__getitem__(index)

    def __eq__(self, other):
        self._send_waiting()
        return super().__eq__(other)

    __hash__ = None


@pytest.fixture(autouse=True)
def outbox_the_worker_empties():
    mail.outbox = _OutboxTheWorkerEmpties()


@pytest.fixture
def mailoutbox(outbox_the_worker_empties):
    return mail.outbox


@pytest.fixture
def company(db):
    return CompanyFactory(name="Orange", slug="orange", hq_timezone="Europe/Paris")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="NTT", slug="ntt", hq_timezone="Asia/Tokyo")


def _person_with_role(kind, company=None, **person_fields):
    person = PersonFactory(**person_fields)
    RoleFactory(person=person, kind=kind, company=company)
    return person


@pytest.fixture
def participant(db):
    return PersonFactory(full_name="Pat Participant")


@pytest.fixture
def coordinator(company):
    return _person_with_role(Role.Kind.COORDINATOR, company, full_name="Cora Coordinator")


@pytest.fixture
def other_coordinator(other_company):
    return _person_with_role(Role.Kind.COORDINATOR, other_company, full_name="Otto Other")


@pytest.fixture
def executive(company):
    return _person_with_role(Role.Kind.EXECUTIVE, company, full_name="Eve Executive")


@pytest.fixture
def chair(db):
    return _person_with_role(Role.Kind.CHAIR, None, full_name="Chas Chair")


@pytest.fixture
def staff(db):
    return PersonFactory(full_name="Stacy Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def with_mfa():
    """Give a person a TOTP authenticator, as if they had set it up."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    def activate(person):
        TOTP.activate(person, generate_totp_secret())
        return person

    return activate


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on 127.0.0.1; the portal's mail goes to it."""
    from .mailserver import MailServer

    server = MailServer().start()
    settings.MAILERS = server.mailers_setting
    yield server
    server.stop()


# A Redis server of the test's own, to stop and resume -------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server process of this test only, so it can be paused and stopped."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield process, port
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def shared_redis_cache(settings, redis_server):
    _, port = redis_server
    settings.CACHES = {
        "default": {
            "BACKEND": "lcoo.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.PAGE_CACHE_SECONDS = 300
    yield redis_server
    pagecache._bump_pending = False


@pytest.fixture
def meetings_(db):
    """A General Meeting series with a past and a next meeting, and an Executive Board
    series with its next meeting: what the join workflow's steps name."""
    general = SeriesFactory(name="General Meeting", slug="gm", kind="general")
    SlotFactory(series=general)
    board = SeriesFactory(
        name="Executive Board",
        slug="board",
        kind="board",
        audience="board",
        cadence="explicit",
        conference_link="https://meet.example.org/board",
    )
    SlotFactory(series=board)
    now = timezone.now().replace(microsecond=0)
    past_gm = MeetingFactory(
        series=general,
        starts_at=now - datetime.timedelta(days=3),
        ends_at=now - datetime.timedelta(days=3) + datetime.timedelta(hours=1),
        status="held",
    )
    next_gm = MeetingFactory(
        series=general,
        starts_at=now + datetime.timedelta(days=4),
        ends_at=now + datetime.timedelta(days=4, hours=1),
    )
    next_board = MeetingFactory(
        series=board,
        starts_at=now + datetime.timedelta(days=30),
        ends_at=now + datetime.timedelta(days=30, hours=1),
        agenda="- Budget\n",
    )
    return {
        "general": general,
        "board_series": board,
        "past_gm": past_gm,
        "next_gm": next_gm,
        "board": next_board,
    }
