"""Rate-limit windows in PostgreSQL (`rate_counters`), for hosts sharing a database without a Redis: each
call's test and hit of all its windows is one call of the function in `postgres.sql`, which holds a lock
on the caller (`pg_advisory_xact_lock`) until it commits, so two hosts cannot both admit the last call of
a window. The same call checks the generation the call went on against the store's row, as the Redis
script checks it against its copy: a call on PostgreSQL alone reads no generation of its own."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from mockserver.ratelimit import Refusal, Window
from mockserver.ratelimit.database import DatabaseWindows
from mockserver.storage.postgres import PostgresStore

SOURCE = Path(__file__).with_name("postgres.sql").read_text(encoding="utf-8")
# The function as it is created: its body opens with a digest of the whole file, so a change anywhere in
# it (the body, the arguments, the result, the options) makes the database's copy differ from this one.
FUNCTION = SOURCE.replace("$$", f"$$\n-- {hashlib.sha256(SOURCE.encode()).hexdigest()}", 1)
# The function's body as PostgreSQL keeps it (`pg_proc.prosrc`: the text between the `$$`).
BODY = FUNCTION.split("$$")[1]
# Whether the database holds the function as `FUNCTION` writes it. A process that finds it so leaves it
# alone: replacing it would need the role that created it (hosts may log in as others), and would make
# every serving backend plan its calls again.
CURRENT = (
    "SELECT 1 AS current FROM pg_proc WHERE proname = 'feishu_rate_hit'"
    " AND pronamespace = current_schema()::regnamespace AND prosrc = :body"
)
HIT = (
    "SELECT current_generation, refused, refused_until FROM feishu_rate_hit(:caller, :went_on::bigint,"
    " :at::double precision, :keys::text[], :amounts::integer[], :seconds::integer[])"
)


class PostgresWindows:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        with store.transaction() as queries:
            store.create(queries, [FUNCTION], unless_found=(CURRENT, {"body": BODY}))

    def hit(self, caller: str, windows: Sequence[Window], now: float) -> Refusal | None:
        """Also settles the generation the call went on (`PostgresGeneration.settled_by`), which raises
        `StaleGeneration` when it had moved: nothing was counted then."""
        generation = self.store.generation
        went_on = generation.unsettled()
        row = (
            self.store.read()
            .conn.execute(
                HIT,
                {
                    "caller": caller,
                    "went_on": went_on,
                    "at": now,
                    "keys": [window.key(caller) for window in windows],
                    "amounts": [window.limit for window in windows],
                    "seconds": [window.seconds for window in windows],
                },
            )
            .fetchone()
        )
        assert row is not None  # the function answers one row
        if went_on is not None:
            generation.settled_by(int(row["current_generation"]))
        refused = int(row["refused"])
        if refused == 0:
            return None
        return Refusal.of(windows[refused - 1], float(row["refused_until"]), now)

    def clear(self, apps: Sequence[str] | None = None) -> None:
        DatabaseWindows(self.store).clear(apps)

    def ping(self) -> None:
        """Nothing to ask: the windows are in the store."""
