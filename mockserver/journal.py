"""Log ids and the request journal: every call to the Feishu surface with its request and its answer.

An entry keeps the request (method, path, query, the headers that matter, the body) and the answer
(status, code, body, `X-Tt-Logid`, the rate-limit headers) and the time taken, with secrets redacted
(`REDACTED_FIELDS` in JSON bodies, the bearer token): what a partner needs to debug a 1002002 without
asking the host for logs. Entries live in the store's `journal` table, so every process and host of one
server writes and reads one journal, and the filters hit its indexes.

Retention is bounded: the newest `RETENTION` entries are kept (older ones are pruned, a few hundred at a
time, as new ones come),
and a body is kept up to `BODY_LIMIT` bytes (the rest cut, marked `truncated`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from mockserver import json_text
from mockserver.errors import FeishuAPIError
from mockserver.ids import rng
from mockserver.storage import Store
from mockserver.storage.queries import JournalInsert
from mockserver.wsgi_headers import environ_key

logger = logging.getLogger(__name__)

# The newest entries kept. Every `PRUNE_EVERY` entries a process writes, it deletes at most `PRUNE_STEP`
# of the oldest beyond them: each deletion holds the database's write lock for a few hundred rows' worth
# (all of a journal's indexes change with each), never for thousands, and the steps of every process
# together delete faster than they all write.
RETENTION = 100_000
PRUNE_EVERY = 100
PRUNE_STEP = 250
# A count stops here: it then answers "at least COUNT_CAP" (`JournalCount.capped`), so it costs at most
# this many index entries whatever the journal holds. Far above what a test verifies it sent.
COUNT_CAP = 10_000
# Bytes of a request or answer body kept in an entry.
BODY_LIMIT = 64 * 1024
# While the store cannot take entries (it is down), how often the log says how many were lost so far.
LOSS_REPORT_SECONDS = 60.0
# JSON fields whose values never reach the journal, at any depth.
REDACTED_FIELDS = frozenset(
    {"app_secret", "tenant_access_token", "app_access_token", "user_access_token", "refresh_token"}
)
REDACTED = "***"
# Request headers kept (Authorization redacted to its token's first characters).
REQUEST_HEADERS = ("Content-Type", "Content-Length", "Authorization", "User-Agent", "Accept")
RESPONSE_HEADERS = ("Content-Type", "X-Tt-Logid", "x-ogw-ratelimit-limit", "x-ogw-ratelimit-reset")
# `"app_secret": "..."`, `app_secret=...`: the same fields in a body that is not JSON.
_SECRET_IN_TEXT = re.compile(
    "(?P<name>" + "|".join(sorted(REDACTED_FIELDS)) + r""")(?P<sep>["']?\s*[:=]\s*["']?)[^"'&,}\s]*"""
)


@functools.lru_cache(maxsize=4)
def _local_stamp(second: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.localtime(second))


def new_log_id(now: float) -> str:
    """Feishu's shape: a local timestamp (yyyymmddHHMMSS) and 20 upper-case hex digits."""
    return _local_stamp(math.floor(now)) + f"{rng.getrandbits(80):020X}"


def storable(value: Any) -> Any:
    """`value` with every str made one UTF-8 can hold: a lone surrogate (a JSON escape such as
    "\\ud800" parses to one) becomes its escape as text, so the store and the pages take it."""
    if isinstance(value, str):
        if value.isascii():  # the usual text, checked in C
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in REDACTED_FIELDS else _redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


def redact_body(raw: bytes | None) -> str | None:
    """The body as text for the journal: secrets replaced by `***`, cut at `BODY_LIMIT` bytes."""
    if raw is None:
        return None
    text = raw[:BODY_LIMIT].decode("utf-8", errors="replace")
    if any(name in text for name in REDACTED_FIELDS):
        try:
            text = json_text.dumps(_redact_value(json.loads(text)))
        except (ValueError, RecursionError):  # not JSON, cut short, or nested too deep: by pattern
            text = _SECRET_IN_TEXT.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    if len(raw) > BODY_LIMIT:
        text += f"\n… truncated ({len(raw)} bytes in all)"
    return text


def redact_authorization(value: str) -> str:
    """`Bearer t-abcd***`: enough of the token to tell two apart, never enough to use it."""
    scheme, _, token = value.partition(" ")
    if not token:
        return REDACTED
    return f"{scheme} {token[:6]}{REDACTED}"


# Where the WSGI environ keeps each of REQUEST_HEADERS.
_ENVIRON_KEYS = tuple((name, environ_key(name)) for name in REQUEST_HEADERS)
_RESPONSE_NAMES = {name.lower(): name for name in RESPONSE_HEADERS}


def kept_request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's `REQUEST_HEADERS`, read from its WSGI environ, Authorization redacted."""
    kept = {}
    for name, key in _ENVIRON_KEYS:
        value = environ.get(key)
        if value is not None:
            kept[name] = redact_authorization(value) if name == "Authorization" else value
    return kept


def kept_response_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The answer's `RESPONSE_HEADERS`, in their casing there, from its (name, value) pairs."""
    kept = {}
    for name, value in headers:
        wanted = _RESPONSE_NAMES.get(name.lower())
        if wanted is not None:
            kept[wanted] = value
    return kept


@dataclass(frozen=True)
class JournalEntry:
    """One call: who, what, the answer and the time taken (bodies redacted by `redact_body`)."""

    tenant_key: str | None
    app_id: str | None
    operation: str | None
    method: str
    path: str
    query: str
    status: int
    code: int | None
    log_id: str
    time: float
    duration_ms: float
    request_headers: dict[str, str]
    request_body: str | None
    response_headers: dict[str, str]
    response_body: str | None


ENTRY_FIELDS = tuple(f.name for f in fields(JournalEntry))


@dataclass(frozen=True)
class JournalFilter:
    """Which entries: every field that is not None must match; `since`/`until` bound `time` (epoch
    seconds, inclusive); `before_id` pages back from an entry (the entries after it newest first, by
    time then id)."""

    tenant_key: str | None = None
    operation: str | None = None
    status: int | None = None
    code: int | None = None
    app_id: str | None = None
    since: float | None = None
    until: float | None = None
    before_id: int | None = None

    def within(self, tenant_key: str | None) -> JournalFilter:
        """The filter pinned to `tenant_key` (a tenant's view); the admin's (None) keeps its own."""
        return self if tenant_key is None else replace(self, tenant_key=tenant_key)

    @property
    def filters_anything(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self) if f.name != "before_id")

    def to_params(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JournalCount:
    """How many entries matched: exactly `count`, or, when `capped`, at least `count` (`COUNT_CAP`)."""

    count: int
    capped: bool

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "capped": self.capped}


class JournalFilterError(ValueError):
    """A filter parameter that is not what it should be (a status that is not a number, ...)."""


def filter_from_args(args: Mapping[str, str]) -> JournalFilter:
    """`GET /mock-api/requests?operation=&status=&code=&app_id=&tenant_key=&since=&until=&before=`."""
    ints: dict[str, int | None] = {}
    for name in ("status", "code", "before"):
        text = args.get(name)
        if text is None or text == "":
            ints[name] = None
            continue
        if not text.lstrip("-").isdigit():
            raise JournalFilterError(f"{name} must be an integer")
        ints[name] = int(text)
    times: dict[str, float | None] = {}
    for name in ("since", "until"):
        text = args.get(name)
        try:
            times[name] = float(text) if text else None
        except ValueError as exc:
            raise JournalFilterError(f"{name} must be epoch seconds") from exc
        value = times[name]
        if value is not None and not -1e12 < value < 1e12:
            raise JournalFilterError(f"{name} must be epoch seconds")
    return JournalFilter(
        tenant_key=args.get("tenant_key") or None,
        operation=args.get("operation") or None,
        status=ints["status"],
        code=ints["code"],
        app_id=args.get("app_id") or None,
        since=times["since"],
        until=times["until"],
        before_id=ints["before"],
    )


class Journal:
    """The journal in the store: `record` on every call, the rest for the control plane and console.

    Where calls are answered on an event loop (a uvicorn worker runs the app on its loop's thread), the
    entries recorded before the loop's next turn are written together, in one statement, by a callback
    `record` schedules: under load a worker answers several calls per turn, and one write for all of them
    costs little more than one. That callback runs ahead of the answers' bytes, which the server's
    transport sends in a callback scheduled after it (`mockserver.http_protocols.CoalescingTransport`):
    a call's entry is stored before its caller has the answer, on every process and host. Elsewhere
    (threads, the test client) `record` writes at once. Reading, pruning or clearing writes what is
    pending first. A write that fails never fails the call it records: when the store is down its
    entries are counted and the outage told in a few lines (`_Losses`); anything else is logged with
    its traceback.

    A call whose write stores its entry too (`Invocation.journal_row`: on PostgreSQL, a create of a site
    user and the update of a talent's external info) is not recorded here; `written` counts it towards
    pruning. Its entry and its change are one statement, so there a write that fails fails the call,
    and nothing of either is stored. (A connection lost after that statement committed and before its
    result arrived leaves the entry of a call answered 1002001.)
    """

    def __init__(self, store: Store, retention: int = RETENTION) -> None:
        self.store = store
        self.retention = retention
        self._recorded = 0
        self._pending: list[dict[str, Any]] = []
        # The loop whose callback will write `_pending` (a loop closed before running it leaves the rows
        # to the next loop's callback, or to a read).
        self._pending_loop: asyncio.AbstractEventLoop | None = None
        self._taking = threading.Lock()  # the loop's callback and `flush` on another thread (a close)
        self._losses = _Losses()

    @staticmethod
    def row(entry: JournalEntry) -> dict[str, Any]:
        """`entry` as the journal's table stores it (a write that carries it takes this row)."""
        # Field by field, not `asdict`: that deep-copies every header dict, on every call.
        return {name: storable(getattr(entry, name)) for name in ENTRY_FIELDS}

    def record(self, entry: JournalEntry) -> None:
        row = self.row(entry)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop on this thread: now
            self._write_rows([row])
            return
        if self._pending_loop is not loop:
            loop.call_soon(self._write_pending)
            self._pending_loop = loop
        self._pending.append(row)

    def flush(self) -> None:
        """Writes what `record` has kept for the loop's next turn (nothing, where it keeps nothing)."""
        if self._pending:
            self._write_pending()

    def _write_pending(self) -> None:
        with self._taking:
            rows, self._pending, self._pending_loop = self._pending, [], None
        self._write_rows(rows)

    def _write_rows(self, rows: list[dict[str, Any]]) -> None:
        """Writes `rows`; a failure is logged, never raised: the calls they record are answered already
        (or are being), and their answers stand."""
        try:
            self._write(rows)
        except FeishuAPIError as exc:  # the store is down (its own answer, 1002001): counted, no traceback
            self._losses.add(len(rows), exc.msg)
        except Exception:  # anything else is a defect: its traceback goes to the log
            logger.exception("%d journal entries could not be written", len(rows))

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        insert = JournalInsert.of(rows)
        with self.store.statement() as queries:
            queries.insert_journal_entries(insert)
        self.written(len(rows))

    def written(self, count: int) -> None:
        """`count` more entries are in the table (written here, or carried by a call's write): every
        `PRUNE_EVERY` of them, a step of pruning; if the store had stopped taking entries, the count of
        those lost goes to the log (`_Losses`). Raises nothing: a step that fails is logged."""
        if self._losses.count:
            self._losses.end()
        with self._taking:
            before = self._recorded
            self._recorded = after = before + count
        if after // PRUNE_EVERY == before // PRUNE_EVERY:
            return
        try:
            with self.store.statement() as queries:
                queries.prune_journal(self.retention, at_most=PRUNE_STEP)
        except FeishuAPIError as exc:  # the store is down: the next step prunes
            logger.warning("the journal was not pruned: %s", exc.msg)
        except Exception:  # anything else is a defect: its traceback goes to the log
            logger.exception("the journal could not be pruned")

    def prune(self) -> None:
        """Only the newest `retention` entries stay (what the writes' steps come to, at once)."""
        self.flush()
        with self.store.statement() as queries:
            queries.prune_journal(self.retention)

    def entries(self, wanted: JournalFilter, limit: int, bodies: bool = True) -> list[dict[str, Any]]:
        """The newest `limit` entries matching `wanted`, newest first by time (then id), without headers
        and bodies when `bodies` is False."""
        self.flush()
        return self.store.read().journal_entries(wanted.to_params(), limit, bodies)

    def entry(self, entry_id: int, tenant_key: str | None) -> dict[str, Any] | None:
        """One entry, when it is the tenant's (any entry for None, the admin)."""
        self.flush()
        return self.store.read().journal_entry(entry_id, tenant_key)

    def count(self, wanted: JournalFilter) -> JournalCount:
        """How many entries match `wanted`, exactly up to `COUNT_CAP`, else "at least COUNT_CAP"."""
        self.flush()
        found = self.store.read().count_journal_entries(wanted.to_params(), at_most=COUNT_CAP + 1)
        return JournalCount(min(found, COUNT_CAP), capped=found > COUNT_CAP)

    def clear(self, tenant_key: str | None = None) -> None:
        """Every entry (None), or one tenant's."""
        self.flush()
        with self.store.transaction() as queries:
            queries.clear_journal(tenant_key)


class _Losses:
    """The entries a process could not write while its store was down, told to the log in a few lines
    however long the outage: at the first failure (with what the store answered), every
    `LOSS_REPORT_SECONDS` while they go on, and once the store takes entries again, how many were lost.
    A line per failed write would be one per turn of each worker's event loop."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.count = 0  # lost since the store last took entries
        self._since = 0.0  # when the first of them was lost (on `clock`)
        self._told_at = 0.0
        self._lock = threading.Lock()

    def add(self, count: int, why: str) -> None:
        """`count` entries were not written: the store answered `why`."""
        now = self._clock()
        with self._lock:
            first = self.count == 0
            self.count += count
            if first:
                self._since = self._told_at = now
            elif now - self._told_at >= LOSS_REPORT_SECONDS:
                self._told_at = now
            else:
                return
            lost, lasted = self.count, now - self._since
        if first:
            logger.warning("journal entries are not being written: %s (counted until the store is back)", why)
        else:
            logger.warning("%d journal entries were not written in %.0f s so far: %s", lost, lasted, why)

    def end(self) -> None:
        """The store took entries again: how many it did not take goes to the log."""
        with self._lock:
            lost, lasted, self.count = self.count, self._clock() - self._since, 0
        if lost:
            logger.warning(
                "%d journal entries were not written, over %.1f s; the store takes them again", lost, lasted
            )
