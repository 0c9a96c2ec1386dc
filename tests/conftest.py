import pytest
from django.core import mail

from lcoo import transport
from members.models import Role

from .factories import CompanyFactory, PersonFactory, RoleFactory


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
