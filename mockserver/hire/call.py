"""One accepted business call, as the endpoint behaviours see it: who calls, with what, and when."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from feishu_hire_kit.spec import Operation
from mockserver.auth import Caller
from mockserver.errors import FeishuAPIError


@dataclass(frozen=True)
class Call:
    operation: Operation
    caller: Caller
    params: Mapping[str, Any]
    body: Mapping[str, Any] = field(repr=False)
    now: float
    # Injected latency (faults), spent by `work()` where the operation does its work.
    latency_s: float = 0.0

    @property
    def tenant_key(self) -> str:
        return self.caller.tenant_key

    @property
    def resource_id(self) -> str:
        """The id of the path parameter the spec's `x-feishu-resource` names."""
        resource = self.operation.resource
        if resource is None:
            raise LookupError(f"{self.operation.operation_id} names no x-feishu-resource")
        value: str = self.params[resource["parameter"]]
        return value

    def not_found(self) -> FeishuAPIError:
        """The spec's not-found code of this operation's resource, naming the id."""
        resource = self.operation.resource
        if resource is None:
            raise LookupError(f"{self.operation.operation_id} names no x-feishu-resource")
        code = int(resource["not_found_code"])
        error = FeishuAPIError(code)
        error.msg = f"{error.msg}: {resource['parameter']}={self.resource_id}"
        return error

    def work(self) -> None:
        """Where the operation does its work; injected latency is spent here."""
        if self.latency_s > 0:
            time.sleep(self.latency_s)
