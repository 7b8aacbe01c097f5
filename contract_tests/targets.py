"""Where the contract suite sends its calls, chosen by one flag (`--target`):

- `mock` (default): the local mock, in-process (httpx.WSGITransport) AND over HTTP (a real server on a
  free 127.0.0.1 port); the same tests run against both;
- `inprocess` or `http`: one of the two;
- any URL: a partner sandbox, a `feishu-hire serve` elsewhere, or Feishu itself. Its ids come from
  `--website-id`/`--talent-id`/`--job-id`/`--user`; its control plane (`/mock-api/`) only as access.py
  allows.

A target's clients share one transport with a bounded pool, and are closed with the target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from feishu_hire_client import Client

from contract_tests.calls import TargetIds
from contract_tests.conformance import ConformanceHook
from feishu_hire_kit.client import DEFAULT_RETRY_POLICY, connect
from feishu_hire_kit.resources import resource_kinds

MOCK_TARGETS = ("inprocess", "http")
MAX_CONNECTIONS = 2
"""Connections one target's clients hold at most (the suite calls one at a time)."""


def pooled_transport() -> httpx.HTTPTransport:
    """The transport a target's clients share: at most MAX_CONNECTIONS open connections."""
    return httpx.HTTPTransport(
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
    )


def target_names(option: str) -> list[str]:
    return list(MOCK_TARGETS) if option == "mock" else [option]


def is_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


@dataclass
class Target:
    """A server the suite can talk to, with what exists on it."""

    name: str
    base_url: str
    app_id: str
    app_secret: str
    ids: TargetIds
    transport: httpx.BaseTransport | None = None
    # The mock's control handle (inject_fault, advance_clock, state, requests), or None (access.py).
    control: Any = None
    ticks: int = 0  # hypothesis examples (or stateful steps) run so far, for progress lines
    _clients: list[Client] = field(default_factory=list, repr=False)

    def client(self, hook: ConformanceHook) -> Client:
        """The generated client for this target, every answer checked against the spec by `hook`.
        Against a mock retries are off, so one call is one answer a test can reason about; elsewhere
        real rate limits apply, so the client waits them out as it would in production."""
        retries = None if self.control is not None else DEFAULT_RETRY_POLICY
        client = connect(
            self.app_id, self.app_secret, self.base_url, retries=retries, transport=self.transport
        )
        hook.install(client.get_httpx_client())
        self._clients.append(client)
        return client

    def tick(self) -> None:
        """A new rate-limit window on a mock with a frozen clock (one hypothesis example = one tick)."""
        self.ticks += 1
        if self.control is not None:
            self.control.advance_clock(1.0)

    def close(self) -> None:
        """Closes every client handed out, and so the shared transport and its connections."""
        for client in self._clients:
            client.get_httpx_client().close()
        self._clients.clear()
        if self.transport is not None:
            self.transport.close()

    def http(self, hook: ConformanceHook) -> httpx.Client:
        """The client's configured httpx client (token, typed errors, conformance) for raw calls."""
        return self.client(hook).get_httpx_client()


def seed_ids(seed: Mapping[str, Any], app_id: str) -> TargetIds:
    """The resources and users a mock seed gives the tenant of `app_id` (kinds as in x-feishu-resource)."""
    tenant = next(t for t in seed["tenants"] if any(a["app_id"] == app_id for a in t["apps"]))
    resources = {
        kind.kind: [item[kind.id_field] for item in tenant.get(kind.plural, [])]
        for kind in resource_kinds().values()
    }
    users = [{k: u[k] for k in ("open_id", "union_id", "user_id")} for u in tenant.get("users", [])]
    return TargetIds(resources, users)


def parse_user(text: str) -> dict[str, str]:
    """`--user` value: `open_id=ou_…,union_id=on_…,user_id=…`, or a bare open_id."""
    if "=" not in text:
        return {"open_id": text}
    return dict(part.split("=", 1) for part in text.split(","))


def given_ids(resources: Mapping[str, Sequence[str]], users: Sequence[str]) -> TargetIds:
    """The ids given on the command line: {resource kind: ids} and `--user` values."""
    return TargetIds({kind: list(ids) for kind, ids in resources.items()}, [parse_user(u) for u in users])
