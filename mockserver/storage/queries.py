"""Every query of the mock, written once for every engine.

SQL here is the portable subset SQLite and PostgreSQL share: named parameters (`:name`, which an engine
translates to its own style), `INSERT ... ON CONFLICT`, `RETURNING`; no `INSERT OR ...`, no `IN ()`.

Rules a race could break live in the database: one site user per (tenant, website, external_id) is the
primary key, written with INSERT ... ON CONFLICT DO NOTHING; a job's in-flight marker is taken with a
conditional UPDATE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from mockserver.storage.schema import (
    DATA_TABLES,
    FAULT_COLUMNS,
    JOB_LIST_COLUMNS,
    JOB_PEOPLE_COLUMNS,
    RESOURCES,
    SERVER_STATE_TABLES,
    UNIQUE_KEYS,
    USER_ID_COLUMNS,
)


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What the queries need of an engine's connection: `execute` with named (`:name`) parameters,
    rows that `dict()` turns into {column: value}."""

    def execute(self, sql: str, parameters: Mapping[str, Any] = ..., /) -> Cursor: ...


def _row(row: Any) -> dict[str, Any] | None:
    return None if row is None else dict(row)


def _job(row: Any) -> dict[str, Any]:
    job = dict(row)
    for column in JOB_LIST_COLUMNS:
        job[column] = json.loads(job[column])
    return job


def _marks(prefix: str, values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """`:p0, :p1, ...` for an IN list, and the parameters they name."""
    names = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names


class Queries:
    """Every query of the mock, over one connection: inside a transaction (`Store.transaction`), or
    one statement at a time (`Store.statement`, `Store.read`), as the store that handed it out says."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Set when a write deletes tokens: the store then moves its token generation after the commit,
        # so no process's token cache answers a deleted token.
        self.forgot_tokens = False

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

    # -- resources
    def exists(self, kind: str, tenant_key: str, resource_id: str) -> bool:
        table, column = RESOURCES[kind]
        found = self.conn.execute(
            f"SELECT 1 FROM {table} WHERE tenant_key = :tenant_key AND {column} = :id",
            {"tenant_key": tenant_key, "id": resource_id},
        ).fetchone()
        return found is not None

    def insert_site_user_if_absent(self, tenant_key: str, website_id: str, user: Mapping[str, Any]) -> bool:
        """Inserts the user if its website exists and its key is free; True if this call inserted it.

        One statement does both checks, so the usual create costs a single write.
        """
        cursor = self.conn.execute(
            "INSERT INTO site_users (tenant_key, website_id, external_id, user_id, name, email, mobile,"
            " mobile_country_code, created_at) SELECT :tenant_key, :website_id, :external_id, :user_id,"
            " :name, :email, :mobile, :mobile_country_code, :created_at WHERE EXISTS"
            " (SELECT 1 FROM websites WHERE tenant_key = :tenant_key AND website_id = :website_id)"
            " ON CONFLICT (tenant_key, website_id, external_id) DO NOTHING",
            {
                "tenant_key": tenant_key,
                "website_id": website_id,
                "external_id": user["external_id"],
                "user_id": user["user_id"],
                "name": user.get("name"),
                "email": user.get("email"),
                "mobile": user.get("mobile"),
                "mobile_country_code": user.get("mobile_country_code"),
                "created_at": user["created_at"],
            },
        )
        return cursor.rowcount == 1

    def site_user(self, tenant_key: str, website_id: str, external_id: str) -> dict[str, Any] | None:
        return _row(
            self.conn.execute(
                "SELECT * FROM site_users WHERE tenant_key = :tenant_key AND website_id = :website_id"
                " AND external_id = :external_id",
                {"tenant_key": tenant_key, "website_id": website_id, "external_id": external_id},
            ).fetchone()
        )

    def set_external_create_time(self, tenant_key: str, talent_id: str, value: str) -> None:
        self.conn.execute(
            "UPDATE talents SET external_create_time = :value"
            " WHERE tenant_key = :tenant_key AND talent_id = :id",
            {"value": value, "tenant_key": tenant_key, "id": talent_id},
        )

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

    def job(self, tenant_key: str, job_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM jobs WHERE tenant_key = :tenant_key AND job_id = :id",
            {"tenant_key": tenant_key, "id": job_id},
        ).fetchone()
        return None if row is None else _job(row)

    def claim_job(self, tenant_key: str, job_id: str, marker: str, now: float, lease_seconds: float) -> bool:
        """Takes the job's in-flight marker unless another live update holds it; False if it could not."""
        cursor = self.conn.execute(
            "UPDATE jobs SET in_flight = :marker, in_flight_until = :until WHERE tenant_key = :tenant_key"
            " AND job_id = :id AND (in_flight IS NULL OR in_flight_until < :now)",
            {
                "marker": marker,
                "until": now + lease_seconds,
                "tenant_key": tenant_key,
                "id": job_id,
                "now": now,
            },
        )
        return cursor.rowcount == 1

    def release_job(self, tenant_key: str, job_id: str, marker: str) -> None:
        self.conn.execute(
            "UPDATE jobs SET in_flight = NULL, in_flight_until = NULL"
            " WHERE tenant_key = :tenant_key AND job_id = :id AND in_flight = :marker",
            {"tenant_key": tenant_key, "id": job_id, "marker": marker},
        )

    def write_job_people(
        self,
        *,
        tenant_key: str,
        job_id: str,
        marker: str,
        people: Mapping[str, str | list[str]],
        updated_by: str | None,
        now: float,
    ) -> bool:
        """Writes the given roles and drops the marker, only while `marker` is still held."""
        unknown = set(people) - set(JOB_PEOPLE_COLUMNS)
        if unknown:
            raise ValueError(f"not a job people column: {sorted(unknown)}")
        assignments = "".join(f"{column} = :{column}, " for column in people)
        values = {k: json.dumps(v) if isinstance(v, list) else v for k, v in people.items()}
        cursor = self.conn.execute(
            f"UPDATE jobs SET {assignments}updated_by = :updated_by, updated_at = :now, in_flight = NULL,"
            " in_flight_until = NULL WHERE tenant_key = :tenant_key AND job_id = :id AND in_flight = :marker",
            {
                **values,
                "updated_by": updated_by,
                "now": now,
                "tenant_key": tenant_key,
                "id": job_id,
                "marker": marker,
            },
        )
        return cursor.rowcount == 1

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
            "INSERT INTO faults (operation, resource, code, remaining, latency_ms)"
            " VALUES (:operation, :resource, :code, :remaining, :latency_ms) RETURNING id",
            {name: fault[name] for name in FAULT_COLUMNS if name != "id"},
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

    def clear_faults(self) -> None:
        self.conn.execute("DELETE FROM faults")

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

    def rate_clear(self) -> None:
        self.conn.execute("DELETE FROM rate_counters")

    def forget_server_state(self) -> None:
        """A fresh server: clock offset and faults gone (the data stays)."""
        for table in SERVER_STATE_TABLES:
            self.conn.execute(f"DELETE FROM {table}")

    # -- seeding and the control plane
    def wipe(self) -> None:
        for table in DATA_TABLES:
            self.conn.execute(f"DELETE FROM {table}")
        self.forgot_tokens = True

    def apply_seed(self, seed: Mapping[str, Any], replace: bool) -> None:
        """Inserts a (validated) seed; `replace` overwrites rows that exist, otherwise they are kept."""
        for tenant in seed["tenants"]:
            key = tenant["tenant_key"]
            for app in tenant["apps"]:
                # Credentials always follow the seed, so `serve --app-secret` works on an existing db.
                self._put(
                    "apps",
                    {"app_id": app["app_id"], "app_secret": app["app_secret"], "tenant_key": key},
                    True,
                )
            for u in tenant.get("users", []):
                row = {k: u.get(k) for k in ("user_id", "open_id", "union_id", "name")}
                self._put("users", {"tenant_key": key, **row}, replace)
            for w in tenant.get("websites", []):
                self._put(
                    "websites",
                    {"tenant_key": key, "website_id": w["website_id"], "name": w.get("name")},
                    replace,
                )
            for t in tenant.get("talents", []):
                self._put(
                    "talents",
                    {"tenant_key": key, "talent_id": t["talent_id"], "name": t.get("name")},
                    replace,
                )
            for j in tenant.get("jobs", []):
                row = {
                    "tenant_key": key,
                    "job_id": j["job_id"],
                    "title": j.get("title"),
                    "recruiter_id": j.get("recruiter_id"),
                    **{column: json.dumps(j.get(column, [])) for column in JOB_LIST_COLUMNS},
                }
                self._put("jobs", row, replace)

    def _put(self, table: str, row: Mapping[str, Any], replace: bool) -> None:
        """Inserts `row`; a row it clashes with on any unique key is replaced (`replace`) or kept."""
        columns = ", ".join(row)
        values = ", ".join(f":{name}" for name in row)
        if replace:
            clashes = " OR ".join(
                "(" + " AND ".join(f"{c} = :{c}" for c in key) + ")" for key in UNIQUE_KEYS[table]
            )
            self.conn.execute(f"DELETE FROM {table} WHERE {clashes}", row)
        self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING", row)

    def dump(self) -> dict[str, Any]:
        """Everything stored, per tenant (people of jobs by tenant user_id)."""
        tenants: dict[str, dict[str, Any]] = {}

        def tenant(key: str) -> dict[str, Any]:
            return tenants.setdefault(
                key, {"apps": [], "users": [], "websites": [], "site_users": [], "talents": [], "jobs": []}
            )

        for row in self.conn.execute("SELECT app_id, tenant_key FROM apps ORDER BY app_id").fetchall():
            app = dict(row)
            tenant(app["tenant_key"])["apps"].append(app["app_id"])
        for table, order in (
            ("users", "user_id"),
            ("websites", "website_id"),
            ("site_users", "created_at, user_id"),
            ("talents", "talent_id"),
            ("jobs", "job_id"),
        ):
            for row in self.conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall():
                item = _job(row) if table == "jobs" else dict(row)
                tenant(item.pop("tenant_key"))[table].append(item)
        tokens = dict(self.conn.execute("SELECT COUNT(*) AS n FROM tokens").fetchone())["n"]
        return {"tenants": tenants, "tokens": tokens}
