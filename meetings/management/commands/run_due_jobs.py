"""Run the scheduled jobs once: extend the rotations, decide and send due mail.

For cron users (no Celery beat), for catching up after an outage (--at), and for tests.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from lcoo import transport
from lcoo.commandline import add_at_option, parse_at
from lcoo.models import Mail
from meetings.announcements import decide_due
from meetings.models import Delivery
from meetings.scheduling import extend_all_series
from meetings.sending import DeliverResult, deliver_pending


class _DryRun(Exception):
    """Raised to roll the dry run's decisions back."""


class Command(BaseCommand):
    help = "Extend every series' rotation, then decide and send the announcements due now."

    def add_arguments(self, parser):
        add_at_option(
            parser,
            "Act as if it were this instant (ISO 8601 with a zone): all due by then goes out.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the messages that would go out, one per line, and change nothing.",
        )

    def handle(self, *args, at=None, dry_run=False, **options):
        now = parse_at(at)
        if dry_run:
            try:
                with transaction.atomic():
                    self._run(now, send=False)
                    raise _DryRun
            except _DryRun:
                return
        self._run(now, send=True)

    def _run(self, now, *, send: bool) -> None:
        extended = extend_all_series(now=now)
        created = sum(r.created for r in extended.values())
        decided = decide_due(now)
        if not send:
            due = (
                Delivery.objects.pending()
                .select_related("meeting__series")
                .order_by("meeting__starts_at", "kind", "recipient")
            )
            for row in due:
                self.stdout.write(
                    f"{row.kind} {row.meeting.starts_at:%Y-%m-%dT%H:%MZ} "
                    f"{row.meeting.series.slug} meeting {row.meeting.pk} -> {row.recipient}"
                )
            mail = Mail.objects.filter(status__in=[Mail.Status.PENDING, Mail.Status.SENDING])
            for row in mail:
                self.stdout.write(f"mail {row.reason} -> {row.recipient}")
            self.stdout.write(
                f"dry run: {created} meetings would be created, "
                f"{due.count() + mail.count()} messages would go out"
            )
            return
        total = DeliverResult()
        # Every pending row, in its backoff or not: an operator runs this to catch up
        # once the mail server is back. Stop a kind when a batch brought nothing but
        # retries (the mail server is away).
        senders = (deliver_pending, transport.deliver_pending_mail)
        for send in senders:
            while True:
                result = send(now=now, due_only=False)
                total.add(result)
                if result.claimed == 0 or result.sent + result.failed == 0:
                    break
        self.stdout.write(
            f"{created} meetings created; {decided} messages decided; {total.sent} sent, "
            f"{total.retried} to retry, {total.failed} failed, {total.superseded} superseded"
        )
