"""What every process serving one database must agree on beyond the data: the clock's offset, the
injected faults, and the token generation that tells each process when its cached tokens went stale.

`SharedState` is the interface the clock and the faults use. `LocalState` keeps it in the process (one
process is the whole server); `StoredState` keeps it in the store, so several processes act as one
server (`MockConfig.shared_state`). Rate-limit windows have an interface of their own
(`mockserver.ratelimit`).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mockserver.storage import Store
    from mockserver.storage.queries import Queries

# Token rows a process keeps (`TokenCache`); past this many it starts over.
TOKEN_CACHE_SIZE = 10_000


class StaleGeneration(Exception):
    """The generation a call went on (`ChangeCounter.trust_known`) had moved: the call changed nothing
    yet and is answered again from the start, on the current one."""


class ChangeCounter(Protocol):
    """A counter every process on one database reads cheaply; moved after changes to what it stamps."""

    def value(self) -> int: ...

    def bump(self) -> None: ...

    def trust_known(self) -> None:
        """The current call, which can be answered again from the start, may go on the last value this
        process knows instead of reading it, until `settle`. A no-op where reading it is free."""
        ...

    def settle(self) -> None:
        """Raises `StaleGeneration` if the value the current call went on has moved; the call's value is
        current after it. Called before the call changes anything. A no-op where reading it is free."""
        ...


class SharedState(Protocol):
    """The clock's offset and the injected faults, as one server sees them. A tenant (`tenant_key`) has
    an offset of its own on top of the server's, and faults of its own (a fault's `tenant_key`)."""

    def clock_offset(self, tenant_key: str | None = None) -> float:
        """The server's offset, plus the tenant's own when one is named."""
        ...

    def tenant_offset(self, tenant_key: str) -> float:
        """The tenant's own offset, on top of the server's (0 where it has none)."""
        ...

    def advance_clock(self, seconds: float, tenant_key: str | None = None) -> float:
        """Moves the server's offset, or only the tenant's; answers the offset `clock_offset` then gives."""
        ...

    def insert_fault(self, fault: Mapping[str, Any]) -> int: ...

    def faults(self) -> list[dict[str, Any]]: ...

    def use_fault(self, fault_id: int) -> bool:
        """Uses one of the fault's remaining answers (dropping it at zero); False if none was left."""
        ...

    def clear_faults(self, tenant_key: str | None = None) -> None:
        """Every fault (None), or one tenant's."""
        ...

    def forget_tenant(self, tenant_key: str) -> None:
        """The tenant's own clock offset and faults gone."""
        ...

    def forget(self) -> None:
        """What a fresh server starts with: no clock offset, no faults."""
        ...


class LocalState:
    """The shared state of a server that is one process."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._tenant_offsets: dict[str, float] = {}
        self._faults: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def clock_offset(self, tenant_key: str | None = None) -> float:
        if tenant_key is None:
            return self._offset
        return self._offset + self.tenant_offset(tenant_key)

    def tenant_offset(self, tenant_key: str) -> float:
        return self._tenant_offsets.get(tenant_key, 0.0)

    def advance_clock(self, seconds: float, tenant_key: str | None = None) -> float:
        with self._lock:
            if tenant_key is None:
                self._offset += seconds
            else:
                self._tenant_offsets[tenant_key] = self._tenant_offsets.get(tenant_key, 0.0) + seconds
        return self.clock_offset(tenant_key)

    def insert_fault(self, fault: Mapping[str, Any]) -> int:
        with self._lock:
            fault_id = next(self._ids)
            self._faults[fault_id] = {**fault, "id": fault_id}
            return fault_id

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._faults.values()]

    def use_fault(self, fault_id: int) -> bool:
        with self._lock:
            fault = self._faults.get(fault_id)
            if fault is None:
                return False
            fault["remaining"] -= 1
            if fault["remaining"] <= 0:
                del self._faults[fault_id]
            return True

    def clear_faults(self, tenant_key: str | None = None) -> None:
        with self._lock:
            if tenant_key is None:
                self._faults.clear()
            else:
                self._faults = {i: f for i, f in self._faults.items() if f.get("tenant_key") != tenant_key}

    def forget_tenant(self, tenant_key: str) -> None:
        self.clear_faults(tenant_key)
        with self._lock:
            self._tenant_offsets.pop(tenant_key, None)

    def forget(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._tenant_offsets.clear()
            self._faults.clear()


@dataclass(frozen=True)
class _Snapshot:
    generation: int
    clock_offset: float
    tenant_offsets: dict[str, float]
    faults: list[dict[str, Any]]


class StoredState:
    """The shared state in the store, for several processes serving one database as one server.

    The clock offset and the faults, read on every request and rarely changed, are cached per process
    behind the store's generation: the usual request reads neither from the database.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation = store.generation
        self._snapshot: _Snapshot | None = None

    def _state(self) -> _Snapshot:
        generation = self._generation.value()  # before the reads it stamps
        snapshot = self._snapshot
        if snapshot is None or snapshot.generation != generation:
            with self.store.transaction(write=False) as queries:
                snapshot = _Snapshot(
                    generation, queries.clock_offset(), queries.tenant_clock_offsets(), queries.faults()
                )
            self._snapshot = snapshot
        return snapshot

    @contextlib.contextmanager
    def _changing(self) -> Iterator[Queries]:
        """A write of the cached state: every process's cache is read again after it."""
        with self.store.transaction(then=self._generation.bump) as queries:
            yield queries

    def clock_offset(self, tenant_key: str | None = None) -> float:
        state = self._state()
        if tenant_key is None:
            return state.clock_offset
        return state.clock_offset + state.tenant_offsets.get(tenant_key, 0.0)

    def tenant_offset(self, tenant_key: str) -> float:
        return self._state().tenant_offsets.get(tenant_key, 0.0)

    def advance_clock(self, seconds: float, tenant_key: str | None = None) -> float:
        with self._changing() as queries:
            if tenant_key is None:
                return queries.advance_clock(seconds)
            return queries.clock_offset() + queries.advance_tenant_clock(tenant_key, seconds)

    def insert_fault(self, fault: Mapping[str, Any]) -> int:
        with self._changing() as queries:
            return queries.insert_fault(fault)

    def faults(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self._state().faults]

    def use_fault(self, fault_id: int) -> bool:
        with self._changing() as queries:
            return queries.use_fault(fault_id)

    def clear_faults(self, tenant_key: str | None = None) -> None:
        with self._changing() as queries:
            queries.clear_faults(tenant_key)

    def forget_tenant(self, tenant_key: str) -> None:
        with self._changing() as queries:
            queries.clear_faults(tenant_key)
            queries.forget_tenant_clock(tenant_key)

    def forget(self) -> None:
        with self._changing() as queries:
            queries.forget_server_state()


class TokenCache:
    """The token rows a process has read, valid until the generation moves (tokens were deleted, by this
    process or another). A token row never changes, so a business call's token check is a dict lookup."""

    def __init__(self, generation: ChangeCounter) -> None:
        self._generation = generation
        self._rows: dict[str, tuple[int, Mapping[str, Any]]] = {}

    def get(self, token: str, read: Callable[[], Mapping[str, Any] | None]) -> Mapping[str, Any] | None:
        """The cached row of `token`, or what `read` answers (kept unless it is None)."""
        generation = self._generation.value()  # before the read it stamps
        cached = self._rows.get(token)
        if cached is not None and cached[0] == generation:
            return cached[1]
        row = read()
        if row is not None:  # an unknown token may be issued by another process any moment: not kept
            if len(self._rows) >= TOKEN_CACHE_SIZE:
                self._rows.clear()
            self._rows[token] = (generation, row)
        return row
