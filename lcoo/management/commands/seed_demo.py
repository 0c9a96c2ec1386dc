"""Demo data: the six member companies of the group's wiki page, fictional people, the
three meeting series with a year of meetings, and the register.

Safe to run again: each app's demo module keys everything by a natural key (slug,
e-mail address) and updates it in place. Each adds its part with `seed(stdout)`, the
apps below first.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agreements import demo as agreements_demo
from meetings import demo as meetings_demo
from members import demo as members_demo

#: The apps' demo modules, in the order they build on each other.
DEMO_MODULES = [members_demo, meetings_demo, agreements_demo]


class Command(BaseCommand):
    help = "Load demo data: the six member companies, fictional people, roles and sub-teams."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            # Its logins share one password printed here and published in the README.
            raise CommandError(
                "seed_demo makes logins with a published password: it runs only in "
                "development mode (DEBUG=1), never on a production database."
            )
        for module in DEMO_MODULES:
            module.seed(self.stdout)

        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(f"Demo logins (password for all: {members_demo.DEMO_PASSWORD}):")
        for label, local in members_demo.LOGINS:
            self.stdout.write(f"  {local}@example.org  — {label}")
