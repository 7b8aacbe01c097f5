"""The control plane under /mock-api/ (moto's /moto-api/, WireMock's /__admin), and `MockControl`,
a small handle that drives it over any httpx client.

Off loopback every control call needs `Authorization: Bearer <admin_token>`; without an admin token
configured, the control plane answers loopback only.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx
from flask import Blueprint, Response, jsonify, request

from mockserver.errors import control_error
from mockserver.faults import FaultSpecError
from mockserver.runtime import runtime
from mockserver.seed import SeedError, load_seed
from mockserver.storage import apply_seed, dump

PREFIX = "/mock-api/"
blueprint = Blueprint("mock_api", __name__, url_prefix=PREFIX.rstrip("/"))


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@blueprint.before_request
def _guard() -> Response | None:
    if _is_loopback(request.remote_addr):
        return None
    token = runtime().config.admin_token
    if token is None:
        return control_error(
            "the control plane answers loopback only (start the server with an admin token)", 403
        )
    given = request.headers.get("Authorization", "")
    if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return control_error("the control plane needs Authorization: Bearer <admin token>", 401)
    return None


def _json_object() -> dict[str, Any] | Response:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return control_error("expected a JSON object body", 400)
    return body


@blueprint.post("/reset")
def reset() -> Response:
    runtime().reset()
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
def state() -> Response:
    rt = runtime()
    with rt.store.transaction(write=False) as queries:
        stored = dump(queries)
    return jsonify(
        now=rt.clock.now(),
        rate_limits={"enabled": rt.limiter.enabled, "scale": rt.limiter.scale},
        faults=rt.faults.list(),
        **stored,
    )


@blueprint.get("/requests")
def requests() -> Response:
    return jsonify(requests=runtime().journal.entries())


@blueprint.post("/faults")
def add_fault() -> Response:
    body = _json_object()
    if isinstance(body, Response):
        return body
    try:
        fault = runtime().faults.add(body)
    except FaultSpecError as exc:
        return control_error(str(exc), 400)
    return jsonify(fault=fault.__dict__)


@blueprint.get("/faults")
def list_faults() -> Response:
    return jsonify(faults=runtime().faults.list())


@blueprint.delete("/faults")
def clear_faults() -> Response:
    runtime().faults.clear()
    return jsonify(ok=True)


@blueprint.post("/clock/advance")
def advance_clock() -> Response:
    body = _json_object()
    if isinstance(body, Response):
        return body
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return control_error("seconds must be a number >= 0", 400)
    return jsonify(now=runtime().clock.advance(float(seconds)))


@blueprint.get("/clock")
def clock() -> Response:
    return jsonify(now=runtime().clock.now())


class MockControlError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"mock control plane answered {status}: {message}")
        self.status = status


class MockControl:
    """Drives a mock's /mock-api/ over `client` (whose base_url is the mock's), in-process or over HTTP."""

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

    def _call(self, method: str, path: str, json: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.request(method, PREFIX + path, json=json, headers=self._headers)
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

    def requests(self) -> list[dict[str, Any]]:
        """The journal: method, path, status, code, log_id, time, operation, app_id; oldest first."""
        entries: list[dict[str, Any]] = self._call("GET", "requests")["requests"]
        return entries

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
