"""Injected answers and latency: "the next N calls to X answer code C", per operation or per resource.

A fault with a code answers that code (its status from the spec's table) after its latency. A fault with
latency only lets the call succeed slowly: the latency is spent inside the operation's work (for
batch_update while the job's in-flight marker is held), so overlapping updates can be staged on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from feishu_hire_kit.spec import Operation, error_codes, operations
from mockserver.errors import RATE_LIMITED, FeishuAPIError
from mockserver.ratelimit import RateLimiter, rate_limited
from mockserver.storage.shared_state import LocalState, SharedState


class FaultSpecError(ValueError):
    """A fault the control plane refuses (unknown operation or code, bad count...)."""


@dataclass
class Fault:
    id: int
    operation: str | None
    resource: str | None
    code: int | None
    remaining: int
    latency_ms: int
    # A tenant's fault acts on that tenant's calls only; None (the admin's) on everyone's.
    tenant_key: str | None = None

    def matches(self, operation_id: str, resource_ids: Iterable[str], tenant_key: str | None = None) -> bool:
        if self.tenant_key is not None and self.tenant_key != tenant_key:
            return False
        if self.operation is not None and self.operation != operation_id:
            return False
        return self.resource is None or self.resource in resource_ids


def _int(spec: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultSpecError(f"{name} must be an integer >= {minimum}")
    return value


@dataclass(frozen=True)
class Injected:
    """What the faults inject into one call: latency to spend, and the error to answer after it."""

    latency_s: float = 0.0
    error: FeishuAPIError | None = None


NOTHING = Injected()


class Faults:
    def __init__(self, limiter: RateLimiter, state: SharedState | None = None) -> None:
        self._limiter = limiter
        self._table: SharedState = state or LocalState()

    def add(self, spec: Mapping[str, Any], tenant_key: str | None = None) -> Fault:
        """Adds a fault from the control plane's JSON: operation and/or resource, code, count, latency_ms;
        with `tenant_key`, one that acts on that tenant's calls only."""
        unknown = set(spec) - {"operation", "resource", "code", "count", "latency_ms"}
        if unknown:
            raise FaultSpecError(f"unknown fault fields: {sorted(unknown)}")
        operation, resource, code = spec.get("operation"), spec.get("resource"), spec.get("code")
        if operation is None and resource is None:
            raise FaultSpecError(
                "a fault needs an operation (an operationId of the spec) or a resource (an id)"
            )
        if operation is not None and operation not in operations():
            raise FaultSpecError(f"unknown operation {operation!r}; known: {sorted(operations())}")
        if resource is not None and not isinstance(resource, str):
            raise FaultSpecError("resource must be a string id")
        if code is not None and (isinstance(code, bool) or code not in error_codes()):
            raise FaultSpecError(f"code must be one of the spec's codes: {sorted(error_codes())}")
        latency_ms = _int(spec, "latency_ms", 0, 0)
        if code is None and latency_ms == 0:
            raise FaultSpecError("a fault needs a code, a latency_ms, or both")
        fields: dict[str, Any] = {
            "operation": operation,
            "resource": resource,
            "code": code,
            "remaining": _int(spec, "count", 1, 1),
            "latency_ms": latency_ms,
            "tenant_key": tenant_key,
        }
        return Fault(id=self._table.insert_fault(fields), **fields)

    def take(
        self, operation: Operation, resource_ids: Iterable[str], tenant_key: str | None = None
    ) -> Injected:
        """What the first fault matching this call (of `tenant_key`, when the caller is known) injects,
        using it up by one, or `NOTHING`."""
        fault = self._take(operation.operation_id, resource_ids, tenant_key)
        if fault is None:
            return NOTHING
        return Injected(
            fault.latency_ms / 1000, None if fault.code is None else self._error(fault.code, operation)
        )

    def _error(self, code: int, operation: Operation) -> FeishuAPIError:
        if code == RATE_LIMITED:  # with the headers of the operation's first limit, as a real one has
            windows = self._limiter.windows_of(operation)
            return rate_limited(windows[0].limit if windows else 1, 1)
        return FeishuAPIError(code)

    def _take(self, operation_id: str, resource_ids: Iterable[str], tenant_key: str | None) -> Fault | None:
        """The first fault matching this call, used up by one (oldest first), or None.

        Reading the faults takes no lock (the usual answer is "none"); using one is a conditional
        decrement, and a call that loses the last use to another looks again.
        """
        ids = list(resource_ids)
        while True:
            rows = self._table.faults()
            if not rows:
                return None
            fault = next(
                (f for f in (Fault(**row) for row in rows) if f.matches(operation_id, ids, tenant_key)), None
            )
            if fault is None or self._table.use_fault(fault.id):
                return fault

    def list_faults(self) -> list[Fault]:
        return [Fault(**row) for row in self._table.faults()]

    def list(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.list_faults()]

    def clear(self, tenant_key: str | None = None) -> None:
        """Every fault (None), or one tenant's."""
        self._table.clear_faults(tenant_key)
