"""The control plane under /mock-api/ (moto's /moto-api/, WireMock's /__admin), and `MockControl`,
a small handle that drives it over any httpx client.

A browser's cross-site change is refused before anything else (`mockserver.cross_origin`). Each call
acts for a scope (`mockserver.access`): the admin, from loopback on a server that is not
hosted or with `Authorization: Bearer <admin_token>`, or one tenant, with that tenant's access token,
on the routes marked `tenant_route` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx
from flask import Blueprint, Response, g, jsonify, request

from mockserver import cross_origin, tenants
from mockserver.access import AccessDenied, Scope, control_scope
from mockserver.errors import control_error
from mockserver.faults import FaultSpecError
from mockserver.journal import JournalFilter, JournalFilterError, filter_from_args
from mockserver.runtime import runtime
from mockserver.seed import SeedError, load_seed
from mockserver.storage import apply_seed

PREFIX = "/mock-api/"
blueprint = Blueprint("mock_api", __name__, url_prefix=PREFIX.rstrip("/"))
View = TypeVar("View", bound=Callable[..., Response])


# Routes a tenant's token may call (scoped to its tenant); every other route is the admin's.
TENANT_ROUTES: set[str] = set()


def tenant_route(view: View) -> View:
    """Marks a control-plane route a tenant may call; it reads `scope()` and acts inside it."""
    TENANT_ROUTES.add(f"{blueprint.name}.{view.__name__}")
    return view


def scope() -> Scope:
    """The scope of the control-plane call being handled (set by the guard)."""
    found: Scope = g.scope
    return found


@blueprint.before_request
def _guard() -> Response | None:
    try:
        cross_origin.check(request)
    except cross_origin.CrossOriginRefusal as exc:
        return control_error(exc.message, exc.status)
    try:
        g.scope = control_scope(runtime(), request.headers.get("Authorization"), request.remote_addr)
    except AccessDenied as exc:
        return control_error(exc.message, exc.status)
    if not g.scope.admin and request.endpoint not in TENANT_ROUTES:
        return control_error("this control-plane call is the admin's, not a tenant's", 403)
    return None


def _json_object() -> dict[str, Any] | Response:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return control_error("expected a JSON object body", 400)
    return body


@blueprint.get("/scope")
@tenant_route
def scope_probe() -> Response:
    """Who the caller is to the control plane, in Feishu's envelope (the contract suite asks first)."""
    return _envelope(scope().to_json())


@blueprint.post("/reset")
@tenant_route
def reset() -> Response:
    """The admin's: every tenant back to the seed or its creation; a tenant's: its own slice."""
    tenants.reset(runtime(), scope())
    return jsonify(ok=True)


@blueprint.post("/seed")
def seed() -> Response:
    body = _json_object()
    if isinstance(body, Response):
        return body
    try:
        extra = load_seed(body)
    except SeedError as exc:
        return control_error(str(exc), 400)
    with runtime().store.transaction() as queries:
        apply_seed(queries, extra, replace=True)
    return jsonify(ok=True, apps=[a["app_id"] for t in extra["tenants"] for a in t["apps"]])


@blueprint.get("/state")
@tenant_route
def state() -> Response:
    return jsonify(tenants.state(runtime(), scope()))


# The journal's pages: `limit` entries at most (default `REQUESTS_PAGE`).
REQUESTS_PAGE = 100
REQUESTS_PAGE_MAX = 1000


def _journal_filter() -> JournalFilter | Response:
    try:
        return filter_from_args(request.args)
    except JournalFilterError as exc:
        return control_error(str(exc), 400)


@blueprint.get("/requests")
@tenant_route
def requests() -> Response:
    """The journal, newest first: `?operation=&status=&code=&app_id=&tenant_key=&since=&until=` filter,
    `limit` (<= 1000) and `before` (an entry's id) page."""
    wanted = _journal_filter()
    if isinstance(wanted, Response):
        return wanted
    text = request.args.get("limit", str(REQUESTS_PAGE))
    if not text.isdigit() or not 1 <= int(text) <= REQUESTS_PAGE_MAX:
        return control_error(f"limit must be an integer from 1 to {REQUESTS_PAGE_MAX}", 400)
    return jsonify(requests=tenants.journal(runtime(), scope(), wanted, int(text)))


@blueprint.get("/requests/count")
@tenant_route
def count_requests() -> Response:
    """How many calls match the filters (WireMock's `verify`): `{"count": N, "capped": false}`, or
    `{"count": COUNT_CAP, "capped": true}` when at least that many match (the count stops there)."""
    wanted = _journal_filter()
    if isinstance(wanted, Response):
        return wanted
    return jsonify(tenants.journal_count(runtime(), scope(), wanted).to_json())


@blueprint.get("/requests/<int:entry_id>")
@tenant_route
def request_entry(entry_id: int) -> Response:
    entry = tenants.journal_entry(runtime(), scope(), entry_id)
    if entry is None:
        return control_error(f"no call {entry_id} in the journal", 404)
    return jsonify(entry)


@blueprint.post("/faults")
@tenant_route
def add_fault() -> Response:
    body = _json_object()
    if isinstance(body, Response):
        return body
    try:
        fault = tenants.add_fault(runtime(), scope(), body)
    except FaultSpecError as exc:
        return control_error(str(exc), 400)
    return jsonify(fault=fault)


@blueprint.get("/faults")
@tenant_route
def list_faults() -> Response:
    return jsonify(faults=tenants.faults(runtime(), scope()))


@blueprint.delete("/faults")
@tenant_route
def clear_faults() -> Response:
    tenants.clear_faults(runtime(), scope())
    return jsonify(ok=True)


@blueprint.post("/clock/advance")
@tenant_route
def advance_clock() -> Response:
    """The admin's moves every clock; a tenant's, its own only (its tokens' lifetimes, its windows)."""
    body = _json_object()
    if isinstance(body, Response):
        return body
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < float("inf"):
        return control_error("seconds must be a number >= 0", 400)
    return jsonify(now=tenants.advance_clock(runtime(), scope(), float(seconds)))


@blueprint.get("/clock")
@tenant_route
def clock() -> Response:
    return jsonify(now=tenants.now(runtime(), scope()))


def _envelope(data: Any) -> Response:
    """Answers of the routes added with the scope probe: Feishu's envelope."""
    return jsonify(code=0, msg="success", data=data)


@blueprint.post("/tenants")
def create_tenant() -> Response:
    """A partner tenant from one tenant of a seed; answers its key and its apps' credentials."""
    body = _json_object()
    if isinstance(body, Response):
        return body
    try:
        return _envelope(tenants.create_tenant(runtime(), body))
    except tenants.TenantError as exc:
        return control_error(str(exc), exc.status)


@blueprint.get("/tenants")
def list_tenants() -> Response:
    return _envelope({"tenants": tenants.list_tenants(runtime())})


@blueprint.delete("/tenants/<tenant_key>")
def delete_tenant(tenant_key: str) -> Response:
    try:
        tenants.delete_tenant(runtime(), tenant_key)
    except tenants.TenantError as exc:
        return control_error(str(exc), exc.status)
    return _envelope({"tenant_key": tenant_key})


class MockControlError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"mock control plane answered {status}: {message}")
        self.status = status


class CountCapped(RuntimeError):
    """More calls matched than the journal counts (`mockserver.journal.COUNT_CAP`): at least `count`."""

    def __init__(self, count: int) -> None:
        super().__init__(f"at least {count} calls match (the journal counts no further): narrow the filters")
        self.count = count


class MockControl:
    """Drives a mock's /mock-api/ over `client` (whose base_url is the mock's), in-process or over HTTP.

    `admin_token` is sent as `Authorization: Bearer ...`: the admin token, or a tenant access token
    (then every call acts on that tenant only)."""

    def __init__(self, client: httpx.Client, admin_token: str | None = None) -> None:
        self.client = client
        self._headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._owns_client = False

    @classmethod
    def connect(cls, base_url: str, admin_token: str | None = None, timeout: float = 10.0) -> MockControl:
        """A handle with its own client for a server at `base_url` (close it, or use it as a context)."""
        control = cls(httpx.Client(base_url=base_url, timeout=timeout), admin_token)
        control._owns_client = True
        return control

    def _call(
        self,
        method: str,
        path: str,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = self.client.request(method, PREFIX + path, json=json, params=params, headers=self._headers)
        if response.status_code >= 400:
            raise MockControlError(response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    def reset(self) -> None:
        """Back to the seed: data, tokens, rate counters, faults and journal."""
        self._call("POST", "reset")

    def seed(self, seed: Mapping[str, Any]) -> list[str]:
        """Adds (or overwrites) what `seed` holds; answers the app ids it names."""
        apps: list[str] = self._call("POST", "seed", seed)["apps"]
        return apps

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")

    def requests(self, **filters: str | int | float | None) -> list[dict[str, Any]]:
        """The journal's entries matching `filters` (operation, status, code, app_id, tenant_key, since,
        until), oldest first: each with its request and answer (`mockserver.journal.JournalEntry`)."""
        wanted = {name: value for name, value in filters.items() if value is not None}
        entries: list[dict[str, Any]] = []
        while True:
            page: list[dict[str, Any]] = self._call(
                "GET", "requests", params={**wanted, "limit": REQUESTS_PAGE_MAX}
            )["requests"]
            entries += page
            if len(page) < REQUESTS_PAGE_MAX:
                return entries[::-1]
            wanted["before"] = page[-1]["id"]

    def count_requests(self, **filters: str | int | float | None) -> int:
        """How many calls match `filters` (as `requests`): WireMock's `verify`. Raises `CountCapped` when
        more match than the journal counts (`COUNT_CAP`), rather than answer a number that is not exact."""
        wanted = {name: value for name, value in filters.items() if value is not None}
        answer = self._call("GET", "requests/count", params=wanted)
        count: int = answer["count"]
        if answer.get("capped"):
            raise CountCapped(count)
        return count

    def scope(self) -> dict[str, Any]:
        """`{"scope": "admin"}` or `{"scope": "tenant", "tenant_key": ...}`: who this handle acts for."""
        found: dict[str, Any] = self._call("GET", "scope")["data"]
        return found

    def create_tenant(self, tenant: Mapping[str, Any]) -> dict[str, Any]:
        """A partner tenant from one tenant of a seed; answers its key and its `apps` credentials."""
        created: dict[str, Any] = self._call("POST", "tenants", tenant)["data"]
        return created

    def tenants(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "tenants")["data"]["tenants"]
        return found

    def delete_tenant(self, tenant_key: str) -> None:
        self._call("DELETE", f"tenants/{tenant_key}")

    def inject_fault(
        self,
        operation: str | None = None,
        *,
        code: int | None = None,
        count: int = 1,
        latency_ms: int = 0,
        resource: str | None = None,
    ) -> dict[str, Any]:
        """The next `count` calls to `operation` (an operationId) and/or naming `resource` (a path id)
        answer `code` after `latency_ms`; without a code they succeed, `latency_ms` slower."""
        spec: dict[str, Any] = {"count": count, "latency_ms": latency_ms}
        for name, value in (("operation", operation), ("resource", resource), ("code", code)):
            if value is not None:
                spec[name] = value
        fault: dict[str, Any] = self._call("POST", "faults", spec)["fault"]
        return fault

    def faults(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "faults")["faults"]
        return found

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def advance_clock(self, seconds: float) -> float:
        """Moves the mock's clock forward; answers its new time (epoch seconds)."""
        now: float = self._call("POST", "clock/advance", {"seconds": seconds})["now"]
        return now

    def now(self) -> float:
        now: float = self._call("GET", "clock")["now"]
        return now

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> MockControl:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
