"""The journal's reads on PostgreSQL: with a journal whose planner statistics are real, every listing
filter's page and every count read the index `tests/console/journal_plans.py` names for it (no scan of
the table, no sort of the matches), as they do on SQLite (`tests/console/test_journal.py`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.engines import Engines, fresh_database
from mockserver.storage import open_store
from mockserver.storage.postgres import PostgresStore
from tests.console.journal_plans import (
    ENTRIES,
    FIRST,
    PLAN_CASES,
    RARE,
    SPACING,
    count_statement,
    page_statement,
)

# The rare values of PLAN_CASES, each on one call in a hundred or fewer; the rest are one common value.
FILL = f"""
INSERT INTO journal (tenant_key, app_id, operation, method, path, query, status, code, log_id, time,
                     duration_ms, request_headers, request_body, response_headers, response_body)
SELECT CASE WHEN mod(n, 100) = 0 THEN 'rare-tenant' ELSE 'sandbox' END,
       CASE WHEN mod(n, 100) = 0 THEN 'cli_rare' ELSE 'cli_common' END,
       CASE WHEN mod(n, 500) = 0 THEN 'rare_operation' ELSE 'create_website_site_user' END,
       'POST', '/open-apis/hire/v1/websites/1/site_users', '',
       CASE WHEN mod(n, 700) = 0 THEN 418 ELSE 200 END,
       CASE WHEN mod(n, 1000) = 0 THEN {RARE} ELSE 0 END,
       'L', {FIRST} + n * {SPACING}, 1.5, '{{}}', '{{"name": "张敏"}}', '{{}}', '{{"code": 0}}'
FROM generate_series(0, {ENTRIES - 1}) AS n
"""


@pytest.fixture(scope="module")
def store(engines: Engines) -> Iterator[PostgresStore]:
    """A store of this module's own database, its journal filled and its statistics taken."""
    with fresh_database(engines.postgres_url) as url:
        opened = open_store(url)
        assert isinstance(opened, PostgresStore)
        try:
            opened.read().conn.execute(FILL)
            opened.read().conn.execute("VACUUM ANALYZE journal")
            yield opened
        finally:
            opened.close()


def _plan(store: PostgresStore, statement: tuple[str, dict[str, Any]]) -> str:
    sql, params = statement
    return "\n".join(
        row["QUERY PLAN"] for row in store.read().conn.execute("EXPLAIN " + sql, params).fetchall()
    )


@pytest.mark.parametrize(("wanted", "index"), PLAN_CASES, ids=[str(sorted(w)) for w, _ in PLAN_CASES])
def test_every_filter_reads_its_index_on_postgresql(
    store: PostgresStore, wanted: dict[str, Any], index: str
) -> None:
    """A page and a count walk the filter's index backwards from where the filter starts and stop at
    their limit: no scan of the table, no bitmap of every match, no sort."""
    for statement in (page_statement(wanted), count_statement(wanted)):
        plan = _plan(store, statement)
        assert re.search(rf"Index (Only )?Scan Backward using {index} on journal\b", plan), plan
        for whole in ("Seq Scan", "Bitmap", "Sort"):
            assert whole not in plan, plan
