"""Computed pages, as the people who sign in get them: the page cache serves none of them.

    DATABASE_URL=postgres://… .venv/bin/python bench/signed_in.py [--skip-seed]

On the scale data (seed_scale, as bench/run.py loads it), gunicorn serves the portal as
docker-compose does (DEBUG=0, 2 sync workers) and wrk loads each page from a second
process, alternating with the floor (/bench/floor: a fixed answer through the same
middleware), for four viewers:

- anonymous, with the page cache off (a server without CACHE_URL: every page computed);
- a participant, a coordinator and an executive representative of the scale data, each
  with a session made by Django's own login (`Client.force_login`, a row in the session
  table) and sent as the session cookie, on a server with the Redis cache as in production.

Per page and viewer it prints req/s, the ratio to the floor, p50/p99, and from the same
page served in this process under the same settings: the number of queries, the time
spent in SQL and the rest of the request (view and template rendering), medians of
several requests. The table goes to bench/RESULTS.md (section "signed-in").
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext

import run  # bench/run.py: the harness this benchmark shares

#: The issue's targets for computed pages: share of the floor, and p99 at 4 connections.
TARGET_RATIO = 0.10
TARGET_P99_MS = 50.0
VIEWERS = ["anonymous", "participant", "coordinator", "executive"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--samples", type=int, default=15, help="in-process requests a page")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--viewers", nargs="+", choices=VIEWERS, default=VIEWERS)
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with scale data).")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    run.run("migrate", "--no-input")
    if not args.skip_seed:
        print(run.run(*run.SEED).strip())

    port = run.free_port()
    cached_env = run.production_env(port)
    uncached_env = {k: v for k, v in cached_env.items() if k != "CACHE_URL"}
    run.run("collectstatic", "--no-input", "-v0", env=cached_env)
    # This process renders the pages too (queries, SQL and render time), under the
    # production settings of the server that serves signed-in people.
    os.environ.update(cached_env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")
    sys.path.insert(0, str(run.ROOT))
    import django

    django.setup()
    pages = pick_pages()
    cookies = {viewer: session_cookie(viewer) for viewer in args.viewers if viewer != "anonymous"}
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 403s are expected
    inside = {
        (viewer, label): in_process(path, cookies.get(viewer), samples=args.samples)
        for viewer in args.viewers
        for label, path in pages
    }
    # Each viewer is measured on the pages that are theirs (the coordinators' area is not
    # a participant's); the others are listed with the answer they get.
    theirs = {key for key, measured in inside.items() if measured["status"] == 200}

    results: dict[tuple[str, str], list[tuple[dict, dict]]] = {}
    for env, viewers in (
        (uncached_env, [v for v in args.viewers if v == "anonymous"]),
        (cached_env, [v for v in args.viewers if v != "anonymous"]),
    ):
        if viewers:
            results |= serve_and_measure(env, port, pages, viewers, cookies, theirs, args)
    table = report(results, inside, args)
    print(table)
    run.write_section("signed-in", table)


def pick_pages() -> list[tuple[str, str]]:
    """(label, path): the pages a coordinator opens in a week (the issue's list)."""
    from meetings.models import Meeting, Series

    meeting = (
        Meeting.objects.filter(series__audience="public", notes_published=True)
        .order_by("-starts_at")
        .first()
    )
    series = Series.objects.filter(audience="public", slots__isnull=False).first()
    return [
        ("/", "/"),
        ("/members/", "/members/"),
        ("/meetings/", "/meetings/"),
        ("a meeting", meeting.get_absolute_url()),
        ("series page with fairness", series.get_absolute_url()),
        ("/meetings/past/", "/meetings/past/"),
        ("/agreements/", "/agreements/"),
        ("/agreements/?q=upgrade", "/agreements/?q=upgrade"),
        ("coordinators' area", "/meetings/manage/"),
        ("/dashboard/", "/dashboard/"),
    ]


def session_cookie(viewer: str) -> str:
    """A session of one of the scale data's people, as Django's login makes it."""
    from django.conf import settings
    from django.test import Client

    from members.models import Person, Role

    people = Person.objects.filter(is_active=True, email__startswith="scale")
    if viewer == "participant":
        person = people.filter(roles__isnull=True).order_by("pk").first()
    else:
        kind = Role.Kind.COORDINATOR if viewer == "coordinator" else Role.Kind.EXECUTIVE
        person = (
            people.filter(pk__in=Role.objects.active().filter(kind=kind).values("person"))
            .order_by("pk")
            .first()
        )
    if person is None:
        sys.exit(f"the scale data has no {viewer}: run seed_scale")
    client = Client()
    client.force_login(person)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def in_process(path: str, cookie: str | None, *, samples: int) -> dict:
    """Queries, SQL ms and the rest of the request's ms, medians over `samples` requests
    (after one to warm the caches)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1", headers={"Cookie": cookie} if cookie else {})
    # The anonymous visitor's page computed, as on the server without the page cache.
    computed = override_settings(PAGE_CACHE_SECONDS=0) if cookie is None else nullcontext()
    with computed:
        status = client.get(path).status_code
    queries, sql, rest = [], [], []
    for _ in range(samples):
        with computed, CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            client.get(path)
            total = (time.perf_counter() - start) * 1000
        spent = sum(float(query["time"]) for query in ctx.captured_queries) * 1000
        queries.append(len(ctx.captured_queries))
        sql.append(spent)
        rest.append(total - spent)
    median = statistics.median
    return {"status": status, "queries": max(queries), "sql": median(sql), "rest": median(rest)}


def serve_and_measure(env, port, pages, viewers, cookies, theirs, args) -> dict:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lcoo.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "sync",
         "--no-control-socket", "--log-level", "warning"],
        cwd=run.ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results: dict[tuple[str, str], list[tuple[dict, dict]]] = {}
    try:
        run.wait_for(base + "/healthz")
        targets = [
            (viewer, label, path, f"Cookie: {cookies[viewer]}" if viewer in cookies else None)
            for viewer in viewers
            for label, path in pages
            if (viewer, label) in theirs
        ]
        for viewer, label, path, header in targets:
            status = run.status_of(base + path, header)
            if status != 200:
                sys.exit(f"{label} answers {status} to the {viewer}; fix that before measuring")
            run.wrk(base + path, seconds=1, connections=1, header=header)  # warm up
            results[(viewer, label)] = []
        for _ in range(args.rounds):
            for viewer, label, path, header in targets:
                # A B A B: each page right after its own floor run, so drift hits both alike.
                floor = run.wrk(
                    base + "/bench/floor", seconds=args.seconds, connections=args.connections
                )
                page = run.wrk(
                    base + path, seconds=args.seconds, connections=args.connections,
                    header=header,
                )  # fmt: skip
                results[(viewer, label)].append((floor, page))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return results


def report(results: dict, inside: dict, args) -> str:
    median = statistics.median
    floors = [floor for runs in results.values() for floor, _ in runs]
    lines = [
        "| viewer | page | req/s | ratio to floor | p50 ms | p99 ms | queries | SQL ms | "
        "rest ms | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| | floor (/bench/floor) | {median(f['rps'] for f in floors):.0f} | 1.00 | "
        f"{median(f['p50'] for f in floors):.2f} | {median(f['p99'] for f in floors):.2f} "
        "| 0 | | | |",
    ]
    for (viewer, label), runs in results.items():
        pages = [page for _, page in runs]
        ratio = median(page["rps"] / floor["rps"] for floor, page in runs)
        p99 = median(page["p99"] for page in pages)
        misses = [
            name
            for name, missed in (
                (f"ratio < {TARGET_RATIO:.2f}", ratio < TARGET_RATIO),
                (f"p99 > {TARGET_P99_MS:.0f} ms", p99 > TARGET_P99_MS),
            )
            if missed
        ]
        measured = inside[(viewer, label)]
        lines.append(
            f"| {viewer} | {label} | {median(p['rps'] for p in pages):.0f} | {ratio:.3f} | "
            f"{median(p['p50'] for p in pages):.2f} | {p99:.2f} | {measured['queries']} | "
            f"{measured['sql']:.1f} | {measured['rest']:.1f} | {'; '.join(misses) or 'met'} |"
        )
    for (viewer, label), measured in inside.items():
        if (viewer, label) not in results:
            lines.append(
                f"| {viewer} | {label} | not theirs (HTTP {measured['status']}) | | | | | | | |"
            )
    command = (
        f"DATABASE_URL=postgres://… .venv/bin/python bench/signed_in.py --rounds {args.rounds} "
        f"--seconds {args.seconds} --connections {args.connections}"
    )
    return (
        "## Computed pages, anonymous (page cache off) and signed in\n\n"
        f"Command: `{command}` on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}.\n\n"
        + (
            "Data: as found in the database (--skip-seed). "
            if args.skip_seed
            else f"Scale data: `{' '.join(run.SEED)}`. "
        )
        + "gunicorn with 2 sync workers (DEBUG=0); the "
        "anonymous visitor on a server without CACHE_URL (no page cache), the signed-in "
        "people on one with the Redis cache, each with a session cookie from Django's login. "
        f"wrk with {args.connections} connections, {args.seconds} s a run, each page right "
        f"after a run of the floor, {args.rounds} rounds; medians. Queries, SQL ms and rest "
        "ms (view and templates): the same page rendered in the benchmark's own process "
        f"under the same settings, medians of {args.samples} requests.\n\n"
        + "\n".join(lines)
        + "\n"
    )


if __name__ == "__main__":
    main()
