"""创建人才外部信息: mark an existing talent as external, with its creation time in the external system.

The request's fields are stored on the talent; the answer is the talent as the spec's response
declares it. The update is one compare-and-set statement on the fields read just before (made again on
the result of an update that raced it), committed on its own: the usual call reads once and writes once,
and where the store can, that write carries the call's journal entry for the answer it implies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.operations.invocation import Invocation
from mockserver.storage import Store


def _answer(talent_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"external_info": {**fields, "talent_id": talent_id}}


def create_talent_external_info(store: Store, invocation: Invocation) -> dict[str, Any]:
    invocation.work()
    kind, talent_id = invocation.resource_kind, invocation.resource_id
    with store.statement() as queries:
        fields = queries.update_resource(
            kind,
            invocation.tenant_key,
            talent_id,
            invocation.body,
            journal_for=lambda updated: invocation.journal_row(_answer(talent_id, updated)),
        )
    if fields is None:
        raise invocation.not_found()
    invocation.journal_row_stored()
    return _answer(talent_id, fields)
