"""The state of one mock server beside its database: config, seed, clock, limits, faults and journal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.faults import Faults
from mockserver.journal import Journal
from mockserver.ratelimit import RateLimiter
from mockserver.seed import load_seed
from mockserver.store import Store

EXTENSION = "feishu_mock"


@dataclass
class Runtime:
    config: MockConfig
    seed: dict[str, Any]
    store: Store
    limiter: RateLimiter
    faults: Faults
    journal: Journal

    @property
    def clock(self) -> Clock:
        return self.config.clock

    @classmethod
    def start(cls, config: MockConfig) -> Runtime:
        seed = load_seed(config.seed)
        store = Store(config.db_path)
        # Rows a previous run acknowledged are kept; only what is missing comes from the seed.
        with store.transaction() as tx:
            tx.apply_seed(seed, replace=False)
        limiter = RateLimiter(config.clock, enabled=config.rate_limits, scale=config.rate_limit_scale)
        return cls(config, seed, store, limiter, Faults(), Journal())

    def reset(self) -> None:
        """Back to the seed: data, tokens, counters, faults and journal (the clock keeps its time)."""
        self.store.reset(self.seed)
        self.limiter.reset()
        self.faults.clear()
        self.journal.clear()

    def close(self) -> None:
        self.store.close()


def runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    found: Runtime = current_app.extensions[EXTENSION]
    return found
