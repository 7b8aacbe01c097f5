"""创建人才外部信息: mark an existing talent as external, with its creation time in the external system.

The request's fields are stored on the talent; the answer is the talent as the spec's response
declares it."""

from __future__ import annotations

from typing import Any

from mockserver.operations.invocation import Invocation
from mockserver.storage import Store


def create_talent_external_info(store: Store, invocation: Invocation) -> dict[str, Any]:
    invocation.work()
    kind, talent_id = invocation.resource_kind, invocation.resource_id
    with store.transaction() as queries:
        if not queries.update_resource(kind, invocation.tenant_key, talent_id, invocation.body):
            raise invocation.not_found()
        talent = queries.resource(kind, invocation.tenant_key, talent_id) or {}
    return {"external_info": {**talent, "talent_id": talent_id}}
