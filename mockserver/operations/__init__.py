"""The behaviour of every operation of the spec (moto's `models.py`): one module per operation, holding
a function named by the operation's operationId that takes the store and the `Invocation` and answers
what a success carries (the `data` object, or the top-level fields where the spec puts them there).

The request path finds them here by name (`behaviours()`): a new operation is its spec entry and one
module, and `create_app` refuses to start when an operation of the spec has no behaviour.

    def get_widget(store: Store, invocation: Invocation) -> dict[str, Any]:
        with store.transaction(write=False) as queries:
            widget = queries.resource("widget", invocation.tenant_key, invocation.resource_id)
        if widget is None:
            raise invocation.not_found()
        return {"widget": {"widget_id": invocation.resource_id, **widget}}
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from feishu_hire_kit.spec import operations
from mockserver.operations.invocation import Invocation
from mockserver.storage import Store

Behaviour = Callable[[Store, Invocation], dict[str, Any]]


@functools.cache
def behaviours() -> dict[str, Behaviour]:
    """{operationId: its behaviour} for every function of this package named by an operationId."""
    found: dict[str, Behaviour] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for operation_id in operations():
            behaviour = getattr(module, operation_id, None)
            if callable(behaviour):
                if operation_id in found:
                    raise LookupError(f"two behaviours of {operation_id}: in {module.__name__} and before")
                found[operation_id] = behaviour
    return found


__all__ = ["Behaviour", "Invocation", "behaviours"]
