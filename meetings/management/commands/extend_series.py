"""Extend every active series' meetings over its rolling horizon (safe to run any time)."""

from django.core.management.base import BaseCommand, CommandError

from lcoo.commandline import add_at_option, parse_at
from meetings.models import Series
from meetings.scheduling import extend_series


class Command(BaseCommand):
    help = "Create the coming meetings of every active series over its rolling horizon."

    def add_arguments(self, parser):
        parser.add_argument("--series", help="Only the series with this slug.")
        add_at_option(parser)

    def handle(self, *args, series=None, at=None, **options):
        now = parse_at(at)
        chosen = Series.objects.active()
        if series:
            chosen = chosen.filter(slug=series)
            if not chosen.exists():
                raise CommandError(f"No active series with the slug {series!r}.")
        for item in chosen:
            result = extend_series(series=item, now=now)
            self.stdout.write(
                f"{item.slug}: {result.created} created, {result.moved} moved, "
                f"{result.cancelled} cancelled"
            )
