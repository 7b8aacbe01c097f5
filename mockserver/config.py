"""One object configures a mock server: where its data lives, what it starts with, its limits, its clock."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.clock import Clock
from mockserver.proxies import parse_networks

# 1 MiB: a bigger body is refused with 1002002 before it is parsed.
MAX_BODY_BYTES = 1 << 20


def default_db_path() -> Path:
    """A file database in ./var (ignored by git), so `feishu-hire serve` keeps its data between runs."""
    return Path("var") / "feishu-mock.db"


@dataclass
class MockConfig:
    # A SQLite file (WAL). ":memory:" gets a private temporary file, removed when the app's store closes.
    db_path: str | Path = field(default_factory=default_db_path)
    # A seed file (JSON or YAML), a seed mapping, or None for the built-in seed (mockserver.seed).
    seed: str | Path | Mapping[str, Any] | None = None
    # Per app per operation limits from the spec's `x-feishu-rate-limits`; off or scaled for benchmarks.
    rate_limits: bool = True
    # Multiplies every limit's count (2.0 allows twice as many calls per window).
    rate_limit_scale: float = 1.0
    # Required as `Authorization: Bearer <token>` on /mock-api/ from anywhere but loopback.
    admin_token: str | None = None
    clock: Clock = field(default_factory=Clock)
    # Keep the clock's offset, faults, journal and rate counters in the database rather than in memory,
    # so several processes serving this database act as one server (`serve --workers N` sets it).
    shared_state: bool = False
    # Rate-limit windows in this Redis (`redis://HOST:PORT/N`), shared by every host; without it they
    # live in the database (with shared state) or in the process.
    redis_url: str | None = None
    # Feishu answers an unknown path with plain text; a JSON envelope is easier for some clients.
    json_404: bool = False
    max_body_bytes: int = MAX_BODY_BYTES
    # A sandbox served to others (`serve --hosted`): loopback callers are trusted with nothing, the
    # control plane and the console need the admin token, a tenant's token or an app's credentials.
    hosted: bool = False
    # Reverse proxies (addresses or networks) whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (mockserver.proxies); everyone else's are ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Signs the console's session cookies; every process of one server must share it.
    console_secret: str = field(default_factory=lambda: secrets.token_hex(32))

    def __post_init__(self) -> None:
        self.trusted_proxies = tuple(self.trusted_proxies)  # a list when read back from JSON
        parse_networks(self.trusted_proxies)  # a bad one is refused now, naming it
        if self.rate_limit_scale <= 0:
            raise ValueError("rate_limit_scale must be > 0 (use rate_limits=False to switch limits off)")
