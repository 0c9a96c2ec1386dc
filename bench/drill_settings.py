"""Settings of the drills' Celery worker: the beat decides due mail every 3 s (not every
5 min), and a killed worker's work comes back within seconds."""

from lcoo.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "announcements-and-reminders": {"task": "meetings.tasks.decide_and_send", "schedule": 3},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 10}
DELIVERY_LEASE_SECONDS = 5
DELIVERY_BACKOFF_SECONDS = 1
