"""Sequential calls/s of our client vs the official lark-oapi SDK vs bare httpx, on one running mock.

    .venv/bin/python -m benchmarks.client_overhead [--calls 500] [--rounds 7] [--mock-args "--workers 2"]

Each contender creates site users with unique external_ids, one call after another, against the same
mock server (rate limits off). Rounds interleave the contenders (A B C D, A B C D, ...) and the median
round counts, so machine noise hits them alike. Also: our client in-process (httpx.WSGITransport,
no socket) vs the same client over 127.0.0.1; the client alone (ours and bare httpx against fixed answers
inside httpx, no server); and the ceiling: ours and lark-oapi against the bare Flask
handler on the same server (benchmarks/bare_flask.py), the most any client gets from that server, in a
second phase once the mock is stopped.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import lark_oapi as lark
from feishu_hire_client.api.hire import create_website_site_user
from feishu_hire_client.models import CreateWebsiteSiteUserRequestBody
from lark_oapi.api.hire.v1 import CreateWebsiteSiteUserRequest, WebsiteUser

from benchmarks import bare_flask, servers
from benchmarks.drills.common import SITE_USERS, TOKEN_PATH, reproduce
from feishu_hire_kit.client import connect
from mockserver import MockConfig, create_app
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, WEBSITE_ID

Call = Callable[[str], None]


def ours(base_url: str, transport: httpx.BaseTransport | None = None) -> Call:
    client = connect(DEFAULT_APP_ID, DEFAULT_APP_SECRET, base_url, transport=transport)

    def call(external_id: str) -> None:
        body = CreateWebsiteSiteUserRequestBody(external_id=external_id, name="bench")
        answer = create_website_site_user.sync(WEBSITE_ID, client=client, body=body)
        assert answer is not None
        assert answer.code == 0

    return call


def lark_sdk(base_url: str) -> Call:
    client = (
        lark.Client.builder().app_id(DEFAULT_APP_ID).app_secret(DEFAULT_APP_SECRET).domain(base_url)
        .log_level(lark.LogLevel.ERROR).build()
    )  # fmt: skip

    def call(external_id: str) -> None:
        request = (
            CreateWebsiteSiteUserRequest.builder().website_id(WEBSITE_ID)
            .request_body(WebsiteUser.builder().external_id(external_id).name("bench").build()).build()
        )  # fmt: skip
        response = client.hire.v1.website_site_user.create(request)
        assert response.success(), (response.code, response.msg)

    return call


def bare_httpx(base_url: str, transport: httpx.BaseTransport | None = None) -> Call:
    http = httpx.Client(base_url=base_url, transport=transport)
    token = http.post(
        TOKEN_PATH,
        json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET},
    ).json()["tenant_access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def call(external_id: str) -> None:
        answer = http.post(
            SITE_USERS,
            json={"external_id": external_id, "name": "bench"},
            headers=headers,
        )
        assert answer.json()["code"] == 0

    return call


def fixed_answers() -> httpx.MockTransport:
    """No server: the bare handler's fixed token and site user, answered inside httpx (the client alone)."""

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        content = bare_flask.TOKEN if request.url.path == TOKEN_PATH else bare_flask.BODY
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(answer)


def calls_per_second(call: Call, calls: int) -> float:
    prefix = uuid.uuid4().hex
    start = time.perf_counter()
    for i in range(calls):
        call(f"{prefix}-{i}")
    return calls / (time.perf_counter() - start)


def measure(contenders: dict[str, Call], rounds: int, calls: int) -> dict[str, list[float]]:
    """Calls/s of each contender in each round, the contenders taking turns within a round."""
    for call in contenders.values():
        calls_per_second(call, 20)  # warm-up: token fetch, connection pool, imports
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            results[name].append(calls_per_second(call, calls))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500, help="calls per contender per round")
    parser.add_argument("--rounds", type=int, default=7, help="median of this many rounds (odd)")
    parser.add_argument("--mock-args", default="", help="extra `feishu-hire serve` flags, e.g. '--workers 2'")
    args = parser.parse_args()

    # The client alone first (lark-oapi sends through requests, which has no such transport).
    alone = measure(
        {
            "ours (no server)": ours("http://feishu.mock", fixed_answers()),
            "bare httpx (no server)": bare_httpx("http://feishu.mock", fixed_answers()),
        },
        args.rounds,
        args.calls * 4,
    )
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        # Two phases, one server running in each (an idle server beside cost the other a few percent);
        # within a phase the contenders interleave.
        port = servers.free_port()
        argv = servers.mock_argv(port, Path(tmp) / "mock.db", "--no-rate-limits", *args.mock_args.split())
        with servers.running("mock", argv, port, Path(tmp) / "mock.log") as server:
            in_process = create_app(MockConfig(db_path=Path(tmp) / "inproc.db", rate_limits=False))
            results |= measure(
                {
                    "ours (socket)": ours(server.base_url),
                    "lark-oapi": lark_sdk(server.base_url),
                    "bare httpx": bare_httpx(server.base_url),
                    "ours (in-process)": ours("http://feishu.mock", httpx.WSGITransport(app=in_process)),
                },
                args.rounds,
                args.calls,
            )
        port = servers.free_port()
        with servers.running("bare flask", servers.bare_flask_argv_like(args.mock_args, port), port) as bare:
            results |= measure(
                {"ours (bare Flask)": ours(bare.base_url), "lark-oapi (bare Flask)": lark_sdk(bare.base_url)},
                args.rounds,
                args.calls,
            )

    own = {name: 1e6 / statistics.median(values) for name, values in alone.items()}
    print(f"\nthe client alone, fixed answers inside httpx, {args.rounds} rounds x {args.calls * 4} calls")
    for name, us in own.items():
        print(f"  {name:<24}{us:>8.0f} µs a call")
    median = {name: statistics.median(values) for name, values in results.items()}
    print(f"\nsequential POST site_users, {args.rounds} rounds x {args.calls} calls, median round")
    for name, value in median.items():
        spread = f"{min(results[name]):.0f}-{max(results[name]):.0f}"
        print(f"  {name:<24}{value:>8.0f} calls/s   (rounds {spread})")
    print("ratios (same run, same phase):")
    print(f"  ours / lark-oapi              {median['ours (socket)'] / median['lark-oapi']:.2f}x")
    print(f"  ours / bare httpx             {median['ours (socket)'] / median['bare httpx']:.2f}x")
    print(f"  in-process / socket (ours)    {median['ours (in-process)'] / median['ours (socket)']:.2f}x")
    ceiling = median["ours (bare Flask)"] / median["lark-oapi (bare Flask)"]
    print(f"  ours / lark-oapi, bare Flask  {ceiling:.2f}x   (the ceiling: a server that does nothing)")
    print(f"reproduce: {reproduce('benchmarks.client_overhead')}")


if __name__ == "__main__":
    main()
