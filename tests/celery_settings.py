"""Settings for the Celery worker the integration tests start: short timeouts, so that
a killed worker's work comes back within seconds instead of an hour."""

from lcoo.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 10}
DELIVERY_LEASE_SECONDS = 5
DELIVERY_BACKOFF_SECONDS = 1
