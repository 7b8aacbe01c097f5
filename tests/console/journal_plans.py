"""The journal's filters with the index each must read (`schema.JOURNAL_INDEXES`), for the plan tests of
both engines: every listing filter alone, with a partner's tenant, with a time window and a page."""

from __future__ import annotations

from typing import Any

from mockserver.journal import COUNT_CAP
from mockserver.storage.queries import Queries

RARE = 1002619
# A journal of `ENTRIES` calls, one each `SPACING` seconds from `FIRST`: `SINCE` leaves its newest 200,
# `UNTIL` its oldest 200 (the PostgreSQL test fills it so; its planner weighs what it holds).
ENTRIES = 20_000
FIRST = 1_790_000_000.0
SPACING = 0.05
SINCE = FIRST + (ENTRIES - 200) * SPACING
UNTIL = FIRST + 200 * SPACING
# (filter, the index its page reads, as a pattern): a page is the newest 50 in (time, id) order, read off
# that index; a count reads the same index alone.
PLAN_CASES: list[tuple[dict[str, Any], str]] = [
    ({}, "journal_newest"),
    ({"since": SINCE}, "journal_newest"),
    ({"until": UNTIL}, "journal_newest"),
    ({"before_id": 42}, "journal_newest"),
    ({"since": SINCE, "until": UNTIL, "before_id": 42}, "journal_newest"),
    ({"tenant_key": "rare-tenant"}, "journal_tenant_newest"),
    ({"tenant_key": "rare-tenant", "until": UNTIL, "before_id": 42}, "journal_tenant_newest"),
    ({"operation": "rare_operation"}, "journal_operation_newest"),
    ({"status": 418}, "journal_status_newest"),
    ({"code": RARE}, "journal_code_newest"),
    ({"code": RARE, "until": UNTIL}, "journal_code_newest"),
    ({"app_id": "cli_rare"}, "journal_app_id_newest"),
    ({"tenant_key": "rare-tenant", "operation": "rare_operation"}, "journal_tenant_operation_newest"),
    ({"tenant_key": "rare-tenant", "status": 418}, "journal_tenant_status_newest"),
    ({"tenant_key": "rare-tenant", "code": RARE, "since": SINCE}, "journal_tenant_code_newest"),
    ({"tenant_key": "rare-tenant", "app_id": "cli_rare", "before_id": 42}, "journal_tenant_app_id_newest"),
    # Two filters: one's index, the other checked in it (either may lead; the planner picks).
    ({"operation": "rare_operation", "code": RARE}, "journal_(operation|code)_newest"),
    (
        {"tenant_key": "rare-tenant", "status": 418, "app_id": "cli_rare"},
        "journal_tenant_(status|app_id)_newest",
    ),
]


def page_statement(wanted: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return Queries.journal_select(wanted, 50, bodies=False)


def count_statement(wanted: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return Queries.journal_count_select(wanted, COUNT_CAP + 1)
