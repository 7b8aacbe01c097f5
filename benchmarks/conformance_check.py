"""Checking one answer against the spec: contract_tests/conformance.py (jsonschema, what the suite
uses) vs openapi-core's `validate_response` (the library issue 11 asks about), side by side.

    .venv/bin/python -m benchmarks.conformance_check [--checks 300] [--rounds 5]

Both check the same answers of the in-process mock (a token, a created site user, a refused call),
rounds interleaved, median round. openapi-core gets a 30-line adapter from httpx (it ships none) and
the spec's server URL as the host (it matches paths only under the spec's `servers`). It checks status,
headers and body; conformance.py also checks the exact header casing and Feishu's code table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from benchmarks.drills.common import SITE_USERS, TOKEN_PATH, reproduce
from contract_tests.conformance import check, operation_for
from feishu_hire_kit.spec import load_spec
from mockserver import MockConfig, create_app
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET

SPEC = load_spec()
SERVER: str = SPEC["servers"][0]["url"]


class OpenAPIRequest:
    """An httpx request as openapi-core's request protocol, on the spec's server URL."""

    host_url = SERVER

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content
        self.content_type = request.headers.get("Content-Type", "")


class OpenAPIResponse:
    """An httpx response as openapi-core's response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("Content-Type", "")
        self.headers = Headers(list(response.headers.multi_items()))


def answers() -> list[httpx.Response]:
    app = create_app(MockConfig(db_path=":memory:"))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://mock") as http:
        token = http.post(TOKEN_PATH, json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET})
        auth = {"Authorization": f"Bearer {token.json()['tenant_access_token']}"}
        created = http.post(SITE_USERS, json={"name": "a", "external_id": "bench-1"}, headers=auth)
        refused = http.post(SITE_USERS, json={"name": 5}, headers=auth)
    return [token, created, refused]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance_check", description=__doc__)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    sample = answers()
    api = OpenAPI.from_dict(SPEC)

    def ours(response: httpx.Response) -> None:
        op_id = operation_for(response.request.method, response.request.url.path)
        assert op_id is not None
        check(op_id, response)

    def openapi_core(response: httpx.Response) -> None:
        api.validate_response(OpenAPIRequest(response.request), OpenAPIResponse(response))

    contenders: dict[str, Callable[[httpx.Response], None]] = {
        "conformance.py": ours,
        "openapi-core": openapi_core,
    }
    for contender in contenders.values():  # both accept every sample answer, and warm up
        for response in sample:
            contender(response)
    per_check: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, contender in contenders.items():
            started = time.perf_counter()
            for i in range(args.checks):
                contender(sample[i % len(sample)])
            per_check[name].append((time.perf_counter() - started) / args.checks * 1e6)
    medians = {name: statistics.median(times) for name, times in per_check.items()}
    for name, median in medians.items():
        print(f"{name:15} {median:8.0f} us per answer (median of {args.rounds} rounds of {args.checks})")
    print(f"openapi-core / conformance.py: {medians['openapi-core'] / medians['conformance.py']:.1f}x")
    print(f"reproduce: {reproduce('benchmarks.conformance_check')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
