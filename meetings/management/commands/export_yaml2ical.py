"""Write the portal's series as irc-meetings YAML files that yaml2ical reads."""

from pathlib import Path

from django.core.management.base import BaseCommand

from lcoo.commandline import add_at_option, parse_at
from meetings.yaml2ical.exporting import export_directory


class Command(BaseCommand):
    help = (
        "Write one yaml2ical file per public series into DIR, with UTC times. Series "
        "yaml2ical cannot express exactly (times that move with DST, periods other than "
        "1, 2 or 4 weeks, explicit dates) are skipped, each with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The folder to write to (created if missing).")
        add_at_option(parser)

    def handle(self, *args, directory, at=None, **options):
        report = export_directory(directory=Path(directory), now=parse_at(at))
        for path in report.written:
            self.stdout.write(f"Wrote {path}")
        for slug, reason in report.skipped.items():
            self.stdout.write(f"Skipped {slug}: {reason}")
        self.stdout.write(f"Wrote {len(report.written)} files; skipped {len(report.skipped)}.")
