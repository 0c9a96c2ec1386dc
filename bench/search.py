"""The register's search, measured in SQL: `/agreements/?q=WORD` as an anonymous visitor asks.

    DATABASE_URL=postgres://… .venv/bin/python bench/search.py [--word upgrade] [--runs 20]

On the database as it is (fill it with seed_scale --agreements N first). Runs the page's
two search queries (the count and the first page, as the view builds them) `--runs`
times and prints the median SQL time of each, then the first page's plan under
EXPLAIN ANALYZE: it must read the GIN index on the stored search document.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--word", default="upgrade")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database with the scale data.")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lcoo.settings")
    import django

    django.setup()
    from django.db import connection

    from agreements.forms import RegisterFilterForm
    from agreements.models import Agreement
    from agreements.views import PAGE_SIZE
    from members.permissions import ANONYMOUS

    def page_queries():
        form = RegisterFilterForm({"q": args.word}, access=ANONYMOUS, first_year=None)
        found = form.filter(Agreement.objects.visible_to(ANONYMOUS).for_listing())
        return found, found[:PAGE_SIZE]

    def timed(run) -> float:
        start = time.perf_counter()
        run()
        return (time.perf_counter() - start) * 1000

    count_ms, page_ms = [], []
    for _ in range(args.runs):
        found, first_page = page_queries()
        count_ms.append(timed(found.count))
        # The page without its topics' prefetch: the search query alone.
        page_ms.append(timed(lambda first_page=first_page: list(first_page.prefetch_related(None))))
    found, first_page = page_queries()
    sql, params = first_page.prefetch_related(None).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    total = Agreement.objects.count()
    print(
        f"{total} agreements, q={args.word!r}: {found.count()} visible matches; "
        f"median of {args.runs} runs (round trip from Django): "
        f"count {statistics.median(count_ms):.2f} ms, "
        f"first page of {PAGE_SIZE} {statistics.median(page_ms):.2f} ms"
    )
    print(plan)


if __name__ == "__main__":
    main()
