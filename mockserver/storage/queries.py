"""Every query of the mock, written once for every engine.

SQL here is the portable subset SQLite and PostgreSQL share: named parameters (`:name`, which an engine
translates to its own style), `INSERT ... ON CONFLICT`, `RETURNING`; no `INSERT OR ...`, no `IN ()`.

Rules a race could break live in the database: one record per idempotency key (one site user per
tenant, website and external_id) is the primary key, written with INSERT ... ON CONFLICT DO NOTHING; a
resource's in-flight marker is taken with a conditional UPDATE.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver import json_text
from mockserver.storage.schema import (
    DATA_TABLES,
    FAULT_COLUMNS,
    JOURNAL_COLUMNS,
    JOURNAL_EQUAL_FILTERS,
    JOURNAL_JSON_COLUMNS,
    JOURNAL_SUMMARY_COLUMNS,
    SERVER_STATE_TABLES,
    USER_ID_COLUMNS,
)


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What the queries need of an engine's connection: `execute` with named (`:name`) parameters, or
    positional (`?`) ones for a statement of many, rows that `dict()` turns into {column: value}."""

    def execute(self, sql: str, parameters: Mapping[str, Any] | Sequence[Any] = ..., /) -> Cursor: ...


def _row(row: Any) -> dict[str, Any] | None:
    return None if row is None else dict(row)


def _fields(row: Any) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(dict(row)["fields"])
    return fields


@dataclass(frozen=True)
class NewRecord:
    """A record an idempotent create makes: one per (tenant, kind, parent_id, key)."""

    tenant_key: str
    kind: str
    parent_kind: str
    parent_id: str
    key: str
    record_id: str
    fields: Mapping[str, Any]
    created_at: float


# A record's or resource's fields as stored.
fields_text = json_text.dumps


def _marks(prefix: str, values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """`:p0, :p1, ...` for an IN list, and the parameters they name."""
    names = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names


_JOURNAL_INSERTED = [c for c in JOURNAL_COLUMNS if c != "id"]
# Rows one INSERT of the journal writes at most (SQLite allows 32,766 parameters in a statement).
JOURNAL_ROWS_PER_INSERT = 500


def _journal_value(entry: Mapping[str, Any], column: str) -> Any:
    """What the journal's `column` stores of an entry's row: headers as JSON text, the rest as they are."""
    value = entry[column]
    return json_text.dumps(value) if column in JOURNAL_JSON_COLUMNS else value


@functools.lru_cache(maxsize=64)
def _journal_insert_sql(rows: int) -> str:
    one = "(" + ", ".join("?" for _ in _JOURNAL_INSERTED) + ")"
    return f"INSERT INTO journal ({', '.join(_JOURNAL_INSERTED)}) VALUES {', '.join([one] * rows)}"


@functools.lru_cache(maxsize=8)
def _carrying_journal(write: str) -> str:
    """`write`, and the call's journal row (`:journal_<column>`, `_journal_parameters`) inserted by the
    same statement when, and only when, `write` changed a row: its rowcount is the journal's, so 1 says
    both were made."""
    return (
        f"WITH written AS ({write} RETURNING 1)"
        f" INSERT INTO journal ({', '.join(_JOURNAL_INSERTED)})"
        f" SELECT {', '.join(f':journal_{c}' for c in _JOURNAL_INSERTED)} FROM written"
    )


_JOURNAL_PARAMETERS = [(f"journal_{column}", column) for column in _JOURNAL_INSERTED]


def _journal_parameters(journal: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a journal row that `_carrying_journal`'s statement inserts."""
    return {name: _journal_value(journal, column) for name, column in _JOURNAL_PARAMETERS}


def _with_journal(write: str, parameters: dict[str, Any], journal: Mapping[str, Any] | None) -> str:
    """The statement to run for `write`: itself, or where a journal row is given, `write` carrying it
    (`_carrying_journal`), the row's parameters added to `parameters`."""
    if journal is None:
        return write
    parameters.update(_journal_parameters(journal))
    return _carrying_journal(write)


_INSERT_RECORD = (
    "INSERT INTO records (tenant_key, kind, parent_kind, parent_id, record_key, record_id, fields,"
    " created_at) SELECT :tenant_key, :kind, :parent_kind, :parent_id, :record_key, :record_id,"
    " :fields, :created_at WHERE EXISTS (SELECT 1 FROM resources WHERE tenant_key = :tenant_key"
    " AND kind = :parent_kind AND resource_id = :parent_id)"
    " ON CONFLICT (tenant_key, kind, parent_id, record_key) DO NOTHING"
)
_UPDATE_FIELDS = (
    "UPDATE resources SET fields = :new WHERE tenant_key = :tenant_key AND kind = :kind"
    " AND resource_id = :id AND fields = :old"
)


@dataclass(frozen=True)
class JournalInsert:
    """The statements that write journal entries, in their order: one per `JOURNAL_ROWS_PER_INSERT`
    entries (so a batch written outside a transaction is still all or nothing). Built before a write
    lock is taken, so the lock is held for the writing alone. Positional parameters: binding hundreds
    of named ones cost more than the insert itself."""

    statements: tuple[tuple[str, tuple[Any, ...]], ...]

    @classmethod
    def of(cls, entries: Sequence[Mapping[str, Any]]) -> JournalInsert:
        statements = []
        for start in range(0, len(entries), JOURNAL_ROWS_PER_INSERT):
            rows = entries[start : start + JOURNAL_ROWS_PER_INSERT]
            values = tuple(_journal_value(entry, c) for entry in rows for c in _JOURNAL_INSERTED)
            statements.append((_journal_insert_sql(len(rows)), values))
        return cls(tuple(statements))


class Queries:
    """Every query of the mock, over one connection: inside a transaction (`Store.transaction`), or
    one statement at a time (`Store.statement`, `Store.read`), as the store that handed it out says."""

    def __init__(self, conn: Connection, *, locks_rows: bool = False) -> None:
        """`locks_rows`: the engine locks the rows a write takes, not the whole database (PostgreSQL),
        so several transactions write at once: a step of pruning then passes over entries another
        transaction holds instead of waiting for (or deadlocking with) it."""
        self.conn = conn
        self.locks_rows = locks_rows
        # Set when a write deletes tokens: the store then moves its token generation after the commit,
        # so no process's token cache answers a deleted token.
        self.forgot_tokens = False

    def ping(self) -> None:
        """Returns once the database answers a statement (the store's error if it cannot be asked)."""
        self.conn.execute("SELECT 1")

    # -- apps and tokens
    def app(self, app_id: str) -> dict[str, Any] | None:
        return _row(
            self.conn.execute("SELECT * FROM apps WHERE app_id = :app_id", {"app_id": app_id}).fetchone()
        )

    def freshest_token(self, app_id: str) -> dict[str, Any] | None:
        return _row(
            self.conn.execute(
                "SELECT * FROM tokens WHERE app_id = :app_id ORDER BY expires_at DESC LIMIT 1",
                {"app_id": app_id},
            ).fetchone()
        )

    def insert_token(self, token: str, app: Mapping[str, Any], issued_at: float, expires_at: float) -> None:
        self.conn.execute(
            "INSERT INTO tokens (token, app_id, tenant_key, issued_at, expires_at)"
            " VALUES (:token, :app_id, :tenant_key, :issued_at, :expires_at)",
            {
                "token": token,
                "app_id": app["app_id"],
                "tenant_key": app["tenant_key"],
                "issued_at": issued_at,
                "expires_at": expires_at,
            },
        )

    def prune_tokens(self, expired_before: float) -> None:
        if self.conn.execute("DELETE FROM tokens WHERE expires_at < :t", {"t": expired_before}).rowcount:
            self.forgot_tokens = True

    def token(self, token: str) -> dict[str, Any] | None:
        return _row(
            self.conn.execute("SELECT * FROM tokens WHERE token = :token", {"token": token}).fetchone()
        )

    # -- resources and the records created under them
    def resource(self, kind: str, tenant_key: str, resource_id: str) -> dict[str, Any] | None:
        """The fields of a resource of `kind`, or None if the tenant has none with that id."""
        row = self.conn.execute(
            "SELECT fields FROM resources"
            " WHERE tenant_key = :tenant_key AND kind = :kind AND resource_id = :id",
            {"tenant_key": tenant_key, "kind": kind, "id": resource_id},
        ).fetchone()
        return None if row is None else _fields(row)

    def exists(self, kind: str, tenant_key: str, resource_id: str) -> bool:
        return self.resource(kind, tenant_key, resource_id) is not None

    def update_resource(
        self,
        kind: str,
        tenant_key: str,
        resource_id: str,
        changes: Mapping[str, Any],
        journal_for: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] | None = None,
    ) -> dict[str, Any] | None:
        """Sets the given fields of a resource (the others stay) and answers all its fields as they now
        are; None if there is no such resource.

        Compare-and-set on the fields read, so an update that raced another is made again on its result.
        `journal_for(fields)`: the journal row (as `Journal.row` makes it) of the call's answer were the
        resource to hold `fields`, or None; a row it gives is inserted by the same statement as the
        update, and only if the update is made. Only where the store's `journal_rides_writes`."""
        while True:
            row = self.conn.execute(
                "SELECT fields FROM resources WHERE tenant_key = :tenant_key AND kind = :kind"
                " AND resource_id = :id",
                {"tenant_key": tenant_key, "kind": kind, "id": resource_id},
            ).fetchone()
            if row is None:
                return None
            old = dict(row)["fields"]
            updated = {**json.loads(old), **changes}
            parameters = {
                "new": fields_text(updated),
                "old": old,
                "tenant_key": tenant_key,
                "kind": kind,
                "id": resource_id,
            }
            journal = None if journal_for is None else journal_for(updated)
            if (
                self.conn.execute(_with_journal(_UPDATE_FIELDS, parameters, journal), parameters).rowcount
                == 1
            ):
                return updated

    def delete_resource(self, kind: str, tenant_key: str, resource_id: str) -> bool:
        """Deletes a resource and the records made under it; False if there was no such resource."""
        params = {"tenant_key": tenant_key, "kind": kind, "id": resource_id}
        cursor = self.conn.execute(
            "DELETE FROM resources WHERE tenant_key = :tenant_key AND kind = :kind AND resource_id = :id",
            params,
        )
        self.conn.execute(
            "DELETE FROM records WHERE tenant_key = :tenant_key AND parent_kind = :kind AND parent_id = :id",
            params,
        )
        return cursor.rowcount == 1

    def claim(
        self, kind: str, tenant_key: str, resource_id: str, marker: str, *, now: float, lease_seconds: float
    ) -> bool:
        """Takes the resource's in-flight marker unless another live update holds it; False if it could
        not (held, or no such resource)."""
        cursor = self.conn.execute(
            "UPDATE resources SET in_flight = :marker, in_flight_until = :until"
            " WHERE tenant_key = :tenant_key AND kind = :kind AND resource_id = :id"
            " AND (in_flight IS NULL OR in_flight_until < :now)",
            {
                "marker": marker,
                "until": now + lease_seconds,
                "tenant_key": tenant_key,
                "kind": kind,
                "id": resource_id,
                "now": now,
            },
        )
        return cursor.rowcount == 1

    def release(self, kind: str, tenant_key: str, resource_id: str, marker: str) -> None:
        self.conn.execute(
            "UPDATE resources SET in_flight = NULL, in_flight_until = NULL WHERE tenant_key = :tenant_key"
            " AND kind = :kind AND resource_id = :id AND in_flight = :marker",
            {"tenant_key": tenant_key, "kind": kind, "id": resource_id, "marker": marker},
        )

    def write_claimed(
        self, kind: str, tenant_key: str, resource_id: str, marker: str, fields: Mapping[str, Any]
    ) -> bool:
        """Replaces the resource's fields and drops the marker, only while `marker` is still held."""
        cursor = self.conn.execute(
            "UPDATE resources SET fields = :fields, in_flight = NULL, in_flight_until = NULL"
            " WHERE tenant_key = :tenant_key AND kind = :kind AND resource_id = :id AND in_flight = :marker",
            {
                "fields": fields_text(fields),
                "tenant_key": tenant_key,
                "kind": kind,
                "id": resource_id,
                "marker": marker,
            },
        )
        return cursor.rowcount == 1

    def insert_record_if_absent(self, record: NewRecord, journal: Mapping[str, Any] | None = None) -> bool:
        """Inserts the record if its parent resource exists and its key is free; True if this call
        inserted it. One statement does both checks, so the usual create costs a single write.

        `journal`: a journal row (`JOURNAL_COLUMNS` but `id`, as `Journal.row` makes it) inserted by the
        same statement if, and only if, the record is: the call's entry, made for the answer its insert
        implies. Only where the store's `journal_rides_writes` (PostgreSQL's data-modifying WITH)."""
        parameters = {
            "tenant_key": record.tenant_key,
            "kind": record.kind,
            "parent_kind": record.parent_kind,
            "parent_id": record.parent_id,
            "record_key": record.key,
            "record_id": record.record_id,
            "fields": fields_text(record.fields),
            "created_at": record.created_at,
        }
        return self.conn.execute(_with_journal(_INSERT_RECORD, parameters, journal), parameters).rowcount == 1

    def record(self, kind: str, tenant_key: str, parent_id: str, key: str) -> dict[str, Any] | None:
        """The fields of the record of `kind` under `parent_id` that holds `key`, or None."""
        row = self.conn.execute(
            "SELECT fields FROM records WHERE tenant_key = :tenant_key AND kind = :kind"
            " AND parent_id = :parent_id AND record_key = :key",
            {"tenant_key": tenant_key, "kind": kind, "parent_id": parent_id, "key": key},
        ).fetchone()
        return None if row is None else _fields(row)

    def user_ids_by(self, tenant_key: str, id_type: str, values: Iterable[str]) -> dict[str, str]:
        """{id of `id_type`: tenant user_id} for the values that name a user of the tenant."""
        if id_type not in USER_ID_COLUMNS:
            raise ValueError(f"unknown user id type {id_type!r}")
        wanted = list(dict.fromkeys(values))
        if not wanted:
            return {}
        marks, params = _marks("v", wanted)
        rows = self.conn.execute(
            f"SELECT {id_type} AS given, user_id FROM users"
            f" WHERE tenant_key = :tenant_key AND {id_type} IN ({marks})",
            {"tenant_key": tenant_key, **params},
        ).fetchall()
        return {row["given"]: row["user_id"] for row in rows}

    def users(self, tenant_key: str, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:  # `IN ()` is SQLite's, not PostgreSQL's
            return {}
        marks, params = _marks("v", wanted)
        rows = self.conn.execute(
            f"SELECT * FROM users WHERE tenant_key = :tenant_key AND user_id IN ({marks})",
            {"tenant_key": tenant_key, **params},
        ).fetchall()
        return {row["user_id"]: dict(row) for row in rows}

    # -- the server's shared state (MockConfig.shared_state)
    def clock_offset(self) -> float:
        row = self.conn.execute("SELECT seconds FROM clock WHERE id = 1").fetchone()
        return 0.0 if row is None else float(dict(row)["seconds"])

    def advance_clock(self, seconds: float) -> float:
        row = self.conn.execute(
            "INSERT INTO clock (id, seconds) VALUES (1, :seconds)"
            " ON CONFLICT (id) DO UPDATE SET seconds = clock.seconds + excluded.seconds RETURNING seconds",
            {"seconds": seconds},
        ).fetchone()
        return float(dict(row)["seconds"])

    def insert_fault(self, fault: Mapping[str, Any]) -> int:
        row = self.conn.execute(
            "INSERT INTO faults (operation, resource, code, remaining, latency_ms, tenant_key)"
            " VALUES (:operation, :resource, :code, :remaining, :latency_ms, :tenant_key) RETURNING id",
            {name: fault.get(name) for name in FAULT_COLUMNS if name != "id"},
        ).fetchone()
        return int(dict(row)["id"])

    def faults(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(f"SELECT {', '.join(FAULT_COLUMNS)} FROM faults ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def use_fault(self, fault_id: int) -> bool:
        """Uses one of the fault's remaining answers (dropping it at zero); False if none was left."""
        cursor = self.conn.execute(
            "UPDATE faults SET remaining = remaining - 1 WHERE id = :id AND remaining > 0", {"id": fault_id}
        )
        self.conn.execute("DELETE FROM faults WHERE id = :id AND remaining <= 0", {"id": fault_id})
        return cursor.rowcount == 1

    def clear_faults(self, tenant_key: str | None = None) -> None:
        """Every fault (None), or one tenant's."""
        if tenant_key is None:
            self.conn.execute("DELETE FROM faults")
        else:
            self.conn.execute("DELETE FROM faults WHERE tenant_key = :tenant_key", {"tenant_key": tenant_key})

    def tenant_clock_offsets(self) -> dict[str, float]:
        rows = self.conn.execute("SELECT tenant_key, seconds FROM tenant_clocks").fetchall()
        return {dict(row)["tenant_key"]: float(dict(row)["seconds"]) for row in rows}

    def advance_tenant_clock(self, tenant_key: str, seconds: float) -> float:
        row = self.conn.execute(
            "INSERT INTO tenant_clocks (tenant_key, seconds) VALUES (:tenant_key, :seconds)"
            " ON CONFLICT (tenant_key) DO UPDATE SET seconds = tenant_clocks.seconds + excluded.seconds"
            " RETURNING seconds",
            {"tenant_key": tenant_key, "seconds": seconds},
        ).fetchone()
        return float(dict(row)["seconds"])

    def forget_tenant_clock(self, tenant_key: str) -> None:
        self.conn.execute(
            "DELETE FROM tenant_clocks WHERE tenant_key = :tenant_key", {"tenant_key": tenant_key}
        )

    def rate_window(self, key: str, now: float) -> tuple[int, float] | None:
        """(count, expires_at) of the key's live window, or None."""
        row = self.conn.execute(
            "SELECT count, expires_at FROM rate_counters WHERE key = :key AND expires_at > :now",
            {"key": key, "now": now},
        ).fetchone()
        if row is None:
            return None
        window = dict(row)
        return int(window["count"]), float(window["expires_at"])

    def rate_incr(self, key: str, now: float, expiry: float, amount: int) -> int:
        """Adds `amount` to the counter of a fixed window, starting a new window when it has expired."""
        row = self.conn.execute(
            "INSERT INTO rate_counters (key, count, expires_at) VALUES (:key, :amount, :expires_at)"
            " ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN rate_counters.expires_at <= :now THEN excluded.count"
            " ELSE rate_counters.count + excluded.count END,"
            " expires_at = CASE WHEN rate_counters.expires_at <= :now THEN excluded.expires_at"
            " ELSE rate_counters.expires_at END"
            " RETURNING count",
            {"key": key, "amount": amount, "expires_at": now + expiry, "now": now},
        ).fetchone()
        return int(dict(row)["count"])

    def rate_clear(self, prefixes: Sequence[str] | None = None) -> None:
        """Every window (None), or those whose key starts with one of `prefixes`."""
        if prefixes is None:
            self.conn.execute("DELETE FROM rate_counters")
            return
        for prefix in prefixes:
            self.conn.execute(
                "DELETE FROM rate_counters WHERE substr(key, 1, :n) = :prefix",
                {"n": len(prefix), "prefix": prefix},
            )

    def forget_server_state(self) -> None:
        """A fresh server: clock offset and faults gone (the data stays)."""
        for table in SERVER_STATE_TABLES:
            self.conn.execute(f"DELETE FROM {table}")

    # -- seeding and the control plane
    def wipe(self) -> None:
        for table in DATA_TABLES:
            self.conn.execute(f"DELETE FROM {table}")
        self.forgot_tokens = True

    # -- tenants (mockserver.tenants)
    def tenant_exists(self, tenant_key: str) -> bool:
        """Whether the tenant has an app, or was made through the control plane."""
        found = self.conn.execute(
            "SELECT 1 AS found FROM apps WHERE tenant_key = :tenant_key"
            " UNION ALL SELECT 1 AS found FROM tenants WHERE tenant_key = :tenant_key",
            {"tenant_key": tenant_key},
        ).fetchone()
        return found is not None

    def apps_by_tenant(self) -> dict[str, list[str]]:
        """{tenant_key: its app ids}, for every tenant that has an app."""
        found: dict[str, list[str]] = {}
        for row in self.conn.execute(
            "SELECT tenant_key, app_id FROM apps ORDER BY tenant_key, app_id"
        ).fetchall():
            app = dict(row)
            found.setdefault(app["tenant_key"], []).append(app["app_id"])
        return found

    def insert_tenant(self, tenant_key: str, seed: Mapping[str, Any], created_at: float) -> None:
        self.conn.execute(
            "INSERT INTO tenants (tenant_key, seed, created_at) VALUES (:tenant_key, :seed, :created_at)",
            {
                "tenant_key": tenant_key,
                "seed": json_text.dumps(seed),
                "created_at": created_at,
            },
        )

    def _tenant(self, row: Any) -> dict[str, Any]:
        tenant = dict(row)
        tenant["seed"] = json.loads(tenant["seed"])
        return tenant

    def tenant_record(self, tenant_key: str) -> dict[str, Any] | None:
        """The tenant's record (`seed`, `created_at`), if it was made through the control plane."""
        row = self.conn.execute(
            "SELECT * FROM tenants WHERE tenant_key = :tenant_key", {"tenant_key": tenant_key}
        ).fetchone()
        return None if row is None else self._tenant(row)

    def tenant_records(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM tenants ORDER BY tenant_key").fetchall()
        return [self._tenant(row) for row in rows]

    def clear_tenant_records(self) -> None:
        self.conn.execute("DELETE FROM tenants")

    def delete_tenant_record(self, tenant_key: str) -> None:
        self.conn.execute("DELETE FROM tenants WHERE tenant_key = :tenant_key", {"tenant_key": tenant_key})

    def wipe_tenant(self, tenant_key: str) -> None:
        """Every row of the tenant's data gone: apps, tokens, users, websites, site users, talents, jobs."""
        for table in DATA_TABLES:
            self.conn.execute(
                f"DELETE FROM {table} WHERE tenant_key = :tenant_key", {"tenant_key": tenant_key}
            )
        self.forgot_tokens = True

    # -- the request journal (mockserver.journal)
    def insert_journal_entries(self, insert: JournalInsert) -> None:
        for sql, values in insert.statements:
            self.conn.execute(sql, values)

    @staticmethod
    def _journal_where(wanted: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The WHERE clause of `wanted` (JournalFilter's fields), in the shapes the journal's indexes
        answer (`schema.JOURNAL_INDEXES`): equalities, a range on `time`, and a page that starts at an
        entry as a row value on (time, id), the order of every read. The entry a page starts at is looked
        up in the filter's tenant only, so a tenant cannot learn another's entries by paging from them."""
        clauses = [f"{name} = :{name}" for name in JOURNAL_EQUAL_FILTERS if wanted.get(name) is not None]
        params = {name: wanted[name] for name in JOURNAL_EQUAL_FILTERS if wanted.get(name) is not None}
        for name, clause in (("since", "time >= :since"), ("until", "time <= :until")):
            if wanted.get(name) is not None:
                clauses.append(clause)
                params[name] = wanted[name]
        if wanted.get("before_id") is not None:
            mine = " AND start.tenant_key = :tenant_key" if "tenant_key" in params else ""
            clauses.append(
                "(time, id) < ((SELECT start.time FROM journal AS start"
                f" WHERE start.id = :before_id{mine}), :before_id)"
            )
            params["before_id"] = wanted["before_id"]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    @staticmethod
    def _journal_entry(row: Any) -> dict[str, Any]:
        entry = dict(row)
        for column in JOURNAL_JSON_COLUMNS:
            if column in entry:
                entry[column] = json.loads(entry[column])
        return entry

    @classmethod
    def journal_select(
        cls, wanted: Mapping[str, Any], limit: int, bodies: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """The statement `journal_entries` runs, and its parameters."""
        where, params = cls._journal_where(wanted)
        columns = JOURNAL_COLUMNS if bodies else JOURNAL_SUMMARY_COLUMNS
        sql = f"SELECT {', '.join(columns)} FROM journal{where} ORDER BY time DESC, id DESC LIMIT :limit"
        return sql, {**params, "limit": limit}

    def journal_entries(
        self, wanted: Mapping[str, Any], limit: int, bodies: bool = True
    ) -> list[dict[str, Any]]:
        """The newest `limit` entries matching `wanted` (JournalFilter's fields), newest first (by time,
        then id); without
        bodies and headers when `bodies` is False (a list of many)."""
        rows = self.conn.execute(*self.journal_select(wanted, limit, bodies)).fetchall()
        return [self._journal_entry(row) for row in rows]

    def journal_entry(self, entry_id: int, tenant_key: str | None = None) -> dict[str, Any] | None:
        """One entry; with `tenant_key`, only if it is that tenant's."""
        mine = "" if tenant_key is None else " AND tenant_key = :tenant_key"
        row = self.conn.execute(
            f"SELECT {', '.join(JOURNAL_COLUMNS)} FROM journal WHERE id = :id{mine}",
            {"id": entry_id, "tenant_key": tenant_key},
        ).fetchone()
        return None if row is None else self._journal_entry(row)

    @classmethod
    def journal_count_select(cls, wanted: Mapping[str, Any], at_most: int) -> tuple[str, dict[str, Any]]:
        """The statement `count_journal_entries` runs, and its parameters."""
        where, params = cls._journal_where(wanted)
        newest = f"SELECT 1 AS one FROM journal{where} ORDER BY time DESC, id DESC LIMIT :at_most"
        sql = f"SELECT COUNT(*) AS n FROM ({newest}) AS matched"
        return sql, {**params, "at_most": at_most}

    def count_journal_entries(self, wanted: Mapping[str, Any], at_most: int) -> int:
        """How many entries match `wanted`, counted up to `at_most`: the newest `at_most` matches, read
        in the order of every journal read, so the count walks the same index as a page and stops there
        whatever the journal holds (unordered, PostgreSQL may gather every match in a bitmap first)."""
        return int(dict(self.conn.execute(*self.journal_count_select(wanted, at_most)).fetchone())["n"])

    def prune_journal(self, keep: int, at_most: int | None = None) -> None:
        """Only the newest `keep` entries stay; or, with `at_most`, that many of the oldest beyond them go
        (oldest first; on an engine that `locks_rows`, the oldest no other transaction holds)."""
        if at_most is None:
            self.conn.execute(
                "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - :keep", {"keep": keep}
            )
            return
        self.conn.execute(
            "DELETE FROM journal WHERE id IN (SELECT id FROM journal"
            " WHERE id <= (SELECT MAX(id) FROM journal) - :keep ORDER BY id LIMIT :at_most"
            f"{' FOR UPDATE SKIP LOCKED' if self.locks_rows else ''})",
            {"keep": keep, "at_most": at_most},
        )

    def clear_journal(self, tenant_key: str | None = None) -> None:
        """Every entry (None), or one tenant's."""
        if tenant_key is None:
            self.conn.execute("DELETE FROM journal")
        else:
            self.conn.execute(
                "DELETE FROM journal WHERE tenant_key = :tenant_key", {"tenant_key": tenant_key}
            )
