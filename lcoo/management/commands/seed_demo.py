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
from lcoo.models import GroupProfile
from meetings import demo as meetings_demo
from members import demo as members_demo

#: The apps' demo modules, in the order they build on each other.
DEMO_MODULES = [members_demo, meetings_demo, agreements_demo]

#: The LCOO's own words (its wiki page), as the home page shows them: the admin edits them.
DEMO_PROFILE = {
    "summary": (
        "An organisation-based working group: companies that run OpenStack at scale network "
        "together around shared topics and priorities, share what they learn and find "
        "opportunities to collaborate. Everyone is welcome to take part; companies join as "
        "members and commit to take part and contribute."
    ),
    "mission": "\n".join(
        [
            "- Facilitate sharing and discussion of OpenStack priorities, strategy, challenges "
            "and solutions between companies.",
            "- Share information about community happenings and encourage participation.",
            "- Be a bridge between the OpenStack community and internally focused OpenStack users.",
            "- Build a network of relationships between subject-matter experts across companies.",
            "- Provide a framework that encourages collaboration between companies.",
            "- Promote the operational needs and use cases of our members within the community.",
            "- Encourage increased contribution to and support of OpenStack.",
        ]
    ),
    "principles": "\n".join(
        [
            "- **Openness.** We work openly, transparently and collaboratively within the "
            "community, aligned with the spirit and goals of the Foundation.",
            "- **Contribute work upstream.** Work is contributed upstream, by working within "
            "the community.",
            "- **Accelerate innovation.** Globally distributed, technologically diverse member "
            "companies learn, mentor and achieve more together than any one of them alone.",
        ]
    ),
}


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
        GroupProfile.objects.update_or_create(pk=GroupProfile.SINGLETON, defaults=DEMO_PROFILE)

        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(f"Demo logins (password for all: {members_demo.DEMO_PASSWORD}):")
        for label, local in members_demo.LOGINS:
            self.stdout.write(f"  {local}@example.org  — {label}")
