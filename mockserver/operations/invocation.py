"""One accepted call of an operation, as its behaviour sees it: who calls, with what, and when."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from feishu_hire_kit.spec import Operation
from mockserver.auth import Caller
from mockserver.errors import FeishuAPIError


@dataclass
class Invocation:
    operation: Operation
    # Who calls: the app of the token, or None on an operation that takes no token.
    caller: Caller | None
    params: Mapping[str, Any]
    body: Mapping[str, Any] = field(repr=False)
    now: float
    # Injected latency (faults), spent by `work()` where the operation does its work.
    latency_s: float = 0.0
    # The app the journal names: the caller's, or the one a behaviour learns (the token endpoint's body).
    app_id: str | None = None
    # The tenant the journal files the call under: the caller's, or the one a behaviour learns (the
    # token endpoint's app, once its credentials hold).
    journal_tenant: str | None = None
    # A tenant's clock (`Clock.now(tenant_key)`), for a behaviour that learns its tenant on the way.
    tenant_now: Callable[[str], float] | None = field(default=None, repr=False)
    # The call's journal row were it answered with the given data (`Journal.row`; None if it cannot be
    # made), for a behaviour whose last write can carry it (`Store.journal_rides_writes`); None where
    # none can.
    journal_row_for: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] | None = field(
        default=None, repr=False
    )
    # Set by `journal_row_stored`: the call is answered with the data of the row its write stored, and
    # journaled already.
    journaled: bool = False
    _journal_row: Mapping[str, Any] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.app_id is None and self.caller is not None:
            self.app_id = self.caller.app_id
        if self.journal_tenant is None and self.caller is not None:
            self.journal_tenant = self.caller.tenant_key

    def journal_row(self, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The journal row of this call were it answered with `data`, for its next write to carry: the
        last one made is the one `journal_row_stored` speaks of. None where no write can carry one, or
        where the entry could not be made (then the call is journaled as any other)."""
        self._journal_row = None if self.journal_row_for is None else self.journal_row_for(data)
        return self._journal_row

    def journal_row_stored(self) -> None:
        """The write just made stored the row `journal_row` last made, if it made one: the behaviour
        answers that row's data, and the call is journaled."""
        self.journaled = self._journal_row is not None

    @property
    def tenant_key(self) -> str:
        if self.caller is None:
            raise LookupError(f"{self.operation.operation_id} takes no token, so has no tenant")
        return self.caller.tenant_key

    @property
    def resource_id(self) -> str:
        """The id of the path parameter the spec's `x-feishu-resource` names."""
        value: str = self.params[self._resource()["parameter"]]
        return value

    @property
    def resource_kind(self) -> str:
        kind: str = self._resource()["kind"]
        return kind

    def _resource(self) -> dict[str, Any]:
        resource = self.operation.resource
        if resource is None:
            raise LookupError(f"{self.operation.operation_id} names no x-feishu-resource")
        return resource

    def not_found(self) -> FeishuAPIError:
        """The spec's not-found code of this operation's resource, naming the id."""
        error = FeishuAPIError(int(self._resource()["not_found_code"]))
        error.msg = f"{error.msg}: {self._resource()['parameter']}={self.resource_id}"
        return error

    def work(self) -> None:
        """Where the operation does its work; injected latency is spent here."""
        if self.latency_s > 0:
            time.sleep(self.latency_s)
