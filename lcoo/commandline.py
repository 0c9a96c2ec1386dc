"""What the portal's management commands share. Imports no portal app."""

from __future__ import annotations

import argparse
import datetime

from django.core.management.base import CommandError

AT_HELP = "Act as if it were this instant (ISO 8601 with a zone, e.g. 2026-09-01T00:00Z)."


def add_at_option(parser: argparse.ArgumentParser, help: str = AT_HELP) -> None:
    """The --at option: run as of another instant (catching up, trying things out)."""
    parser.add_argument("--at", help=help)


def parse_at(value: str | None) -> datetime.datetime | None:
    """The instant --at gives, aware; None without --at (the command then uses now)."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--at: {error}") from error
    if moment.tzinfo is None:
        raise CommandError("--at needs a zone, such as Z or +09:00.")
    return moment
