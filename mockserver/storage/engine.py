"""What every storage engine does the same way on top of its own transactions and reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from mockserver.storage.queries import Queries
from mockserver.storage.seeding import apply_seed
from mockserver.storage.shared_state import TokenCache


class Engine(ABC):
    """The base of `SQLiteStore` and `PostgresStore`: an engine supplies `transaction`, `read` and a
    `TokenCache` on its generation; token lookups and resets then work alike on every engine."""

    _tokens: TokenCache

    @abstractmethod
    def transaction(
        self, write: bool = True, then: Callable[[], None] | None = None
    ) -> AbstractContextManager[Queries]: ...

    @abstractmethod
    def read(self) -> Queries: ...

    def token(self, token: str) -> Mapping[str, Any] | None:
        """The row of `token`, from this process's cache while no token was deleted since."""
        return self._tokens.get(token, lambda: self.read().token(token))

    def reset(self, seed: Mapping[str, Any]) -> None:
        """Every table emptied and `seed` applied, in one transaction."""
        with self.transaction() as queries:
            queries.wipe()
            apply_seed(queries, seed, replace=False)  # nothing left to replace
