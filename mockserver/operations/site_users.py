"""新建招聘官网用户: create a careers-site user, idempotent on the spec's idempotency key (external_id).

The database decides who wins a race: INSERT ... ON CONFLICT DO NOTHING; the call whose row went in
answers it, every other reads back the record that holds the key. N identical concurrent calls make one
user and all of them answer it. What is stored is the whole request body and the new user_id; what is
answered is what the spec's response declares of it.
"""

from __future__ import annotations

from typing import Any

from feishu_hire_kit.resources import record_kinds
from mockserver.ids import rng
from mockserver.operations.invocation import Invocation
from mockserver.storage import NewRecord, Store

RECORD = next(kind for kind in record_kinds().values() if kind.operation_id == "create_website_site_user")


def new_user_id() -> str:
    """A 19-digit id, as Feishu's are."""
    return str(10**18 + rng.randrange(9 * 10**18))


def create_website_site_user(store: Store, invocation: Invocation) -> dict[str, Any]:
    key = invocation.operation.idempotency_key
    assert key is not None  # the spec declares it (the record kind follows from it)
    user_id = new_user_id()
    fields = {**invocation.body, "user_id": user_id}
    record = NewRecord(
        tenant_key=invocation.tenant_key,
        kind=RECORD.kind,
        parent_kind=RECORD.parent,
        parent_id=invocation.resource_id,
        key=invocation.body[key],
        record_id=user_id,
        fields=fields,
        created_at=invocation.now,
    )
    # Latency before the write lock: a slow call must not stall every other writer.
    invocation.work()
    answer = {RECORD.kind: fields}
    # Where the store can, the insert carries the call's journal entry for this answer, stored only if
    # the record is: the usual create is then one round trip to the database, its entry included.
    journal = invocation.journal_row(answer)
    # The write is the last step, one statement committed on its own: the usual create is a single call
    # into the database, and a failure before it writes nothing.
    with store.statement() as queries:
        inserted = queries.insert_record_if_absent(record, journal)
    if inserted:
        invocation.journal_row_stored()
        return answer
    # Not inserted: the key is taken (answer that user, unchanged: a site user is never changed, so a
    # read after the write sees the one that holds the key) or the website does not exist.
    stored = store.read().record(RECORD.kind, record.tenant_key, record.parent_id, record.key)
    if stored is None:
        raise invocation.not_found()
    return {RECORD.kind: stored}
