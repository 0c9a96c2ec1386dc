"""Import OpenStack irc-meetings YAML files (yaml2ical's format) as series: a sub-team's
working meetings, open to all, unless `--kind`/`--audience` say otherwise."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lcoo.commandline import add_at_option, parse_at
from meetings.models import Audience, Series
from meetings.yaml2ical.importing import ImportKind, import_directory


class Command(BaseCommand):
    help = (
        "Create or update a series for each schedule group of the irc-meetings .yaml files "
        "in DIR, with their meetings as yaml2ical's .ics has them. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A folder of irc-meetings .yaml files.")
        parser.add_argument(
            "--kind",
            choices=Series.Kind.values,
            help=(
                "What the imported series are (default: subteam, which never counts as a "
                "General Meeting or the Executive Board). Given, it also applies to series "
                "imported before; otherwise they keep the kind a coordinator gave them."
            ),
        )
        parser.add_argument(
            "--audience",
            choices=Audience.values,
            help="Who may see them (default: the kind's own, open to all but for the board).",
        )
        add_at_option(parser)

    def handle(self, *args, directory, at=None, kind=None, audience=None, **options):
        folder = Path(directory)
        if not folder.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        try:
            import_kind = ImportKind.of(kind, audience)
        except ValueError as error:
            raise CommandError(str(error)) from None
        report = import_directory(directory=folder, now=parse_at(at), kind=import_kind)
        for name, slugs in report.series.items():
            self.stdout.write(f"{name}: {', '.join(slugs)}")
        for warning in report.warnings:
            self.stderr.write(f"Warning: {warning}")
        for name, reason in report.errors.items():
            self.stderr.write(f"Error: {name}: {reason}")
        series = sum(len(slugs) for slugs in report.series.values())
        self.stdout.write(
            f"Imported {len(report.series)} files ({series} series); "
            f"{len(report.errors)} failed; {len(report.warnings)} warnings."
        )
        if report.errors:
            raise CommandError(f"Not imported: {', '.join(report.errors)}.")
