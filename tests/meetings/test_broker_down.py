"""With the broker away, a coordinator's resend still works: the mail waits in the
database for the next run, and nothing is lost."""

import pytest
from django.urls import reverse

from lcoo.celery import app as celery_app
from meetings import announcements
from meetings.models import Delivery
from tests.mailserver import free_port
from tests.meetings.test_announcements import DUE
from tests.meetings.test_announcements import group as group  # the fixture


@pytest.fixture
def broker_away():
    """A broker address where nothing listens (a stopped Redis), publishing for real."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(
        broker_url=f"redis://127.0.0.1:{free_port()}/0",
        task_always_eager=False,
        broker_connection_timeout=0.5,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1},
    )
    _forget_connections()
    yield
    celery_app.conf.update(**saved)
    _forget_connections()


def _forget_connections() -> None:
    # Connections are pooled per broker URL; the next publish opens new ones.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_resend_while_the_broker_is_away_keeps_the_mail_pending(
    client, group, broker_away, mail_server, caplog
):
    meeting = group["meeting"]
    announcements.decide_due(DUE)
    Delivery.objects.filter(meeting=meeting).update(status=Delivery.Status.SENT)
    coordinator = group["people"]["cora"]
    client.force_login(coordinator)

    response = client.post(
        reverse("meetings:deliveries", args=[meeting.pk]),
        {"kind": "announcement", "recipient": "carl@example.org"},
    )

    assert response.status_code == 302
    waiting = Delivery.objects.filter(meeting=meeting, status=Delivery.Status.PENDING)
    assert list(waiting.values_list("recipient", flat=True)) == ["carl@example.org"]
    assert mail_server.recorder.count() == 0
    assert "Broker unavailable, mail waits in the database" in caplog.text
