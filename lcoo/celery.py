"""The Celery app. Its broker comes from CELERY_BROKER_URL; without one, tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")

app = Celery("lcoo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
