"""The benchmark harness: the portal served as in production, loaded over HTTP.

    make bench            (or: DATABASE_URL=postgres://… .venv/bin/python bench/run.py)

On PostgreSQL with the scale data (seed_scale), gunicorn serves the portal with the
docker-compose settings (DEBUG=0, 2 sync workers, Redis cache); wrk loads it from a
second process. For every public page it prints requests per second, p50 and p99
latency and the number of queries, and the same for the floor (/bench/floor: a fixed
answer through the same middleware). Pages and the floor are measured alternately,
several rounds; medians are quoted, with each page's throughput as a ratio to the floor.
The table goes to bench/RESULTS.md, with the feed build times of bench/feeds.py; the
failure drills (bench/drills.py) add theirs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ["seed_scale", "--companies", "100", "--people", "5000", "--meetings", "10000",
        "--agreements", "2000", "--seed", "1"]  # fmt: skip
#: Targets on the 2-core machine (the benchmark issue): share of the floor's requests
#: per second, and the 99th percentile latency at 4 connections.
TARGET_RATIO = 0.40
TARGET_P99_MS = 25.0
PYTHON = sys.executable
SECRET = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"  # noqa: S105 - loopback only


def run(*args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(port: int) -> dict:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/2"),
    }


def wrk(url: str, *, seconds: int, connections: int, header: str | None = None) -> dict:
    # As a calendar client or a browser asks: compressed answers welcome.
    header = header or "Accept-Encoding: gzip"
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        url,
    ]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    latency = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": to_ms(latency["50"]),
        "p99": to_ms(latency["99"]),
        "errors": int(non2xx[1]) if non2xx else 0,
    }


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with scale data).")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    env = dict(os.environ)
    run("migrate", "--no-input", env=env)
    if not args.skip_seed:
        print(run(*SEED, env=env).strip())
    sys.path.insert(0, str(ROOT))
    pages, queries = pick_pages()

    port = free_port()
    server_env = production_env(port)
    run("collectstatic", "--no-input", "-v0", env=server_env)
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "lcoo.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "sync", "--no-control-socket", "--log-level",
         "warning"], cwd=ROOT, env=server_env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz")
        # The ETag as the server computes it (its SITE_URL is part of the feed).
        with urllib.request.urlopen(base + "/meetings/calendar.ics", timeout=30) as feed:  # noqa: S310
            etag = feed.headers["ETag"]
        pages = [
            (label, path, f"If-None-Match: {etag}" if extra == "etag" else extra)
            for label, path, extra in pages
        ]
        results = measure(base, pages, args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    write_section("pages", "## Public pages against the floor\n\n" + report(results, queries, args))
    write_section("feeds", "## Building the calendar feeds\n\n" + feed_figures())
    write_section("plans", plans_section())


def pick_pages() -> tuple[list[tuple[str, str, str | None]], dict[str, int]]:
    """(label, path, extra header) of each public page, and its query count (anonymous)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from meetings.models import Meeting, Series

    meeting = (
        Meeting.objects.filter(series__audience="public", notes_published=True)
        .order_by("-starts_at")
        .first()
    )
    series = Series.objects.filter(audience="public", slots__isnull=False).first()
    pages = [
        ("/", "/", None),
        ("/members/", "/members/", None),
        ("/meetings/", "/meetings/", None),
        ("/meetings/past/", "/meetings/past/", None),
        ("meeting page", meeting.get_absolute_url(), None),
        ("series page with fairness", series.get_absolute_url(), None),
        ("/agreements/?q=upgrade", "/agreements/?q=upgrade", None),
        ("/meetings/calendar.ics", "/meetings/calendar.ics", None),
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    queries = {}
    for label, path, _ in pages:
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        queries[label] = len(ctx.captured_queries) if response.status_code == 200 else -1
        PLANS[label] = plan_of_slowest(connection, ctx.captured_queries)
    etag = client.get("/meetings/calendar.ics")["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/meetings/calendar.ics", headers={"If-None-Match": etag})
    queries["/meetings/calendar.ics (304)"] = (
        len(ctx.captured_queries) if response.status_code == 304 else -1
    )
    pages.append(("/meetings/calendar.ics (304)", "/meetings/calendar.ics", "etag"))
    return pages, queries


#: Page -> (its slowest query, that query's plan from EXPLAIN ANALYZE).
PLANS: dict[str, tuple[str, str]] = {}


def plan_of_slowest(connection, captured: list[dict]) -> tuple[str, str]:
    """The page's slowest query, run again under EXPLAIN ANALYZE: do the plans use the
    indexes? (The SQL comes with its parameters filled in by the driver.)"""
    if not captured:
        return "", ""
    sql = max(captured, key=lambda q: float(q["time"]))["sql"]
    if not sql.lstrip().upper().startswith("SELECT"):
        return sql, ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return sql, plan


def plans_section() -> str:
    parts = [
        "## Query plans\n\nThe slowest query of each page (computed, anonymous), under "
        "`EXPLAIN ANALYZE` on the scale data.\n"
    ]
    for label, (sql, plan) in PLANS.items():
        if plan:
            short = sql if len(sql) < 600 else sql[:600] + " …"
            parts.append(f"### {label}\n\n```sql\n{short}\n```\n\n```\n{plan}\n```\n")
    return "\n".join(parts)


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"the portal did not answer on {url}")


def status_of(url: str, header: str | None) -> int:
    request = urllib.request.Request(url)  # noqa: S310 - loopback
    if header:
        name, _, value = header.partition(": ")
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def measure(base: str, pages, args) -> dict:
    assert status_of(base + "/bench/floor", None) == 200, "the floor does not answer 200"
    for label, path, header in pages:
        print(f"{label}: HTTP {status_of(base + path, header)}")
    results: dict[str, list[tuple[dict, dict]]] = {}
    for label, path, header in pages:
        results[label] = []
        # Warm up: fill caches, check the page answers (a fast 400 is no result).
        warm = wrk(base + path, seconds=1, connections=1, header=header)
        if warm["errors"]:
            sys.exit(f"{label} answers errors; fix that before measuring")
    for _ in range(args.rounds):
        for label, path, header in pages:
            # A B A B: each page right after its own floor run, so drift hits both alike.
            floor = wrk(base + "/bench/floor", seconds=args.seconds, connections=args.connections)
            page = wrk(base + path, seconds=args.seconds, connections=args.connections,
                       header=header)  # fmt: skip
            results[label].append((floor, page))
    return results


def report(results: dict, queries: dict, args) -> str:
    median = statistics.median
    floors = [floor for runs in results.values() for floor, _ in runs]
    lines = [
        "| page | req/s | ratio to floor | p50 ms | p99 ms | queries | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| floor (/bench/floor) | {median(f['rps'] for f in floors):.0f} | 1.00 | "
        f"{median(f['p50'] for f in floors):.2f} | {median(f['p99'] for f in floors):.2f} | 0 | |",
    ]
    for label, runs in results.items():
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
        lines.append(
            f"| {label} | {median(p['rps'] for p in pages):.0f} | {ratio:.2f} | "
            f"{median(p['p50'] for p in pages):.2f} | {p99:.2f} | {queries.get(label, '?')} | "
            f"{'; '.join(misses) or 'met'} |"
        )
    table = "\n".join(lines)
    print(table)
    command = (
        f"make bench BENCH_ARGS='--rounds {args.rounds} --seconds {args.seconds} "
        f"--connections {args.connections}'"
    )
    return (
        f"Command: `DATABASE_URL=postgres://… {command}` on {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}.\n\n"
        f"Scale data: `{' '.join(SEED)}`. gunicorn with 2 sync workers as in docker-compose "
        f"(DEBUG=0, Redis cache); wrk with {args.connections} connections, {args.seconds} s "
        f"a run, asking for gzip; each page measured right after a run of the floor "
        f"(a fixed answer through the same middleware), {args.rounds} rounds; medians, the "
        f"ratio as the median of the per-round ratios. Queries: what an anonymous request "
        f"runs when the page is computed (a cached page runs none).\n\n{table}\n"
    )


def write_section(name: str, text: str) -> None:
    """Replace one section of bench/RESULTS.md (pages, feeds, drills), keeping the others."""
    path = ROOT / "bench" / "RESULTS.md"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    path.write_text(current)


def feed_figures() -> str:
    env = {**os.environ, "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/2")}
    command = [PYTHON, str(ROOT / "bench" / "feeds.py")]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    figures = out.stdout.strip()
    print(figures)
    command_line = "DATABASE_URL=postgres://… CACHE_URL=redis://… .venv/bin/python bench/feeds.py"
    return f"Command: `{command_line}`\n\n```\n{figures}\n```\n"


if __name__ == "__main__":
    main()
