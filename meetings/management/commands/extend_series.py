"""Extend every active series' meetings over its rolling horizon (safe to run any time)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from meetings import services
from meetings.models import Series


class Command(BaseCommand):
    help = "Create the coming meetings of every active series over its rolling horizon."

    def add_arguments(self, parser):
        parser.add_argument("--series", help="Only the series with this slug.")
        parser.add_argument(
            "--at",
            help="Act as if it were this instant (ISO 8601 with a zone, e.g. 2027-01-01T00:00Z).",
        )

    def handle(self, *args, series=None, at=None, **options):
        now = None
        if at:
            try:
                now = datetime.datetime.fromisoformat(at)
            except ValueError as error:
                raise CommandError(f"--at: {error}") from error
            if now.tzinfo is None:
                raise CommandError("--at needs a zone, such as Z or +09:00.")
        chosen = Series.objects.active()
        if series:
            chosen = chosen.filter(slug=series)
            if not chosen.exists():
                raise CommandError(f"No active series with the slug {series!r}.")
        for item in chosen:
            result = services.extend_series(series=item, now=now)
            self.stdout.write(
                f"{item.slug}: {result.created} created, {result.moved} moved, "
                f"{result.cancelled} cancelled"
            )
