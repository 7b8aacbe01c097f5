"""创建人才外部信息: mark an existing talent as external, with its creation time in the external system."""

from __future__ import annotations

from typing import Any

from mockserver.hire.call import Call
from mockserver.storage import Store


def create(store: Store, call: Call) -> dict[str, Any]:
    created = call.body["external_create_time"]
    call.work()
    with store.transaction() as queries:
        if not queries.exists("talent", call.tenant_key, call.resource_id):
            raise call.not_found()
        queries.set_external_create_time(call.tenant_key, call.resource_id, created)
    return {"external_info": {"talent_id": call.resource_id, "external_create_time": created}}
