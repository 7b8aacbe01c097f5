"""新建招聘官网用户: create a careers-site user, idempotent on the spec's idempotency key (external_id).

The database decides who wins a race: INSERT ... ON CONFLICT DO NOTHING; the call whose row went in
answers it, every other reads back the row that holds the key. N identical concurrent calls make one
user and all of them answer it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.hire.call import Call
from mockserver.ids import rng
from mockserver.storage import Store

# What a site user answers with (WebsiteUser in the spec); absent values are left out.
FIELDS = ("user_id", "name", "email", "external_id", "mobile", "mobile_country_code")


def new_user_id() -> str:
    """A 19-digit id, as Feishu's are."""
    return str(10**18 + rng.randrange(9 * 10**18))


def to_site_user(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIELDS if row.get(name) is not None}


def create(store: Store, call: Call) -> dict[str, Any]:
    key = call.operation.idempotency_key or "external_id"
    external_id: str = call.body[key]
    candidate = {name: call.body.get(name) for name in FIELDS}
    candidate.update(external_id=external_id, user_id=new_user_id(), created_at=call.now)
    # Latency before the write lock: a slow call must not stall every other writer.
    call.work()
    # The answer first, then the write as the last step: one statement, committed on its own, so the
    # usual create is a single call into SQLite and a failure before it writes nothing.
    answer = {"site_user": to_site_user(candidate)}
    with store.statement() as queries:
        inserted = queries.insert_site_user_if_absent(call.tenant_key, call.resource_id, candidate)
    if inserted:
        return answer
    # Not inserted: the key is taken (answer that user, unchanged: a site user is never changed, so a
    # read after the write sees the one that holds the key) or the website does not exist.
    row = store.read().site_user(call.tenant_key, call.resource_id, external_id)
    if row is None:
        raise call.not_found()
    return {"site_user": to_site_user(row)}
