"""Fuzzing a real mock server: schemathesis' positive and negative data from spec/hire.yaml, plus malformed
JSON, non-object and non-UTF-8 bodies, bodies over 1 MiB, bad and missing headers, wrong methods and paths
and malformed HTTP on a raw socket. Zero 5xx, zero tracebacks in any body, and the server still answers.

    .venv/bin/python -m benchmarks.drills.fuzz [--requests 10000] [--seed 0] [--threads 8] [--workers 1]
        [--servers 1] [--engine sqlite|postgres]

Rate limits are off (so every request reaches validation). The probes are drawn from `--seed`, so a run
repeats; so are the schemathesis cases (hypothesis runs with the same seed). With `--servers N` the
probes are shared round-robin by N servers of one sandbox (`--engine postgres`: hosts on one PostgreSQL
database and one Redis).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.generation import GenerationMode

from benchmarks.drills.common import (
    SITE_USERS,
    TOKEN_PATH,
    add_engine_arguments,
    bearer,
    reproduce,
    sandbox,
    token,
)
from feishu_hire_kit.spec import load_spec
from mockserver.seed import JOB_ID, TALENT_ID, WEBSITE_ID

EXTERNAL_INFO = f"/open-apis/hire/v1/talents/{TALENT_ID}/external_info"
BATCH_UPDATE = f"/open-apis/hire/v1/jobs/{JOB_ID}/managers/batch_update"
POST_PATHS = (TOKEN_PATH, SITE_USERS, EXTERNAL_INFO, BATCH_UPDATE)
SEEDED_IDS = {"website_id": WEBSITE_ID, "talent_id": TALENT_ID, "job_id": JOB_ID}
MIB = 1 << 20
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


VALID_BODIES: dict[str, dict[str, Any]] = {
    TOKEN_PATH: {"app_id": "cli_sandbox", "app_secret": "sandbox-secret"},
    SITE_USERS: {
        "external_id": "f",
        "name": "n",
        "email": "a@b.c",
        "mobile": "1",
        "mobile_country_code": "CN_1",
    },
    EXTERNAL_INFO: {"external_create_time": "1639992265035"},
    BATCH_UPDATE: {
        "update_option_list": [1, 2, 3],
        "recruiter_id": "ou_e6139117c300506837def50545420c6a",
        "assistant_id_list": ["ou_808dad5b8fb21416b4ff242a5c616016"],
        "hiring_manager_id_list": ["ou_808dad5b8fb21416b4ff242a5c616016"],
    },
}


@dataclass(frozen=True)
class Probe:
    """One request: an HTTP call (httpx), raw bytes on a socket, or a schemathesis case."""

    family: str
    method: str = "POST"
    path: str = SITE_USERS
    content: bytes | None = None
    headers: tuple[tuple[str, str], ...] | None = None  # None: a valid token and a JSON content type
    params: tuple[tuple[str, str], ...] = ()
    chunked: bool = False  # send `content` without a Content-Length
    raw: bytes | None = None
    case: Any = None
    valid_token: bool = False  # a schemathesis case sent with a valid token in place of its drawn one


@dataclass
class Outcome:
    family: str
    status: int | None  # None: no answer (a raw probe the server waited on, or a dropped connection)
    traceback: bool
    detail: str
    path: str = ""
    body: bytes = b""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    still_answers: bool = False
    seconds: float = 0.0

    def server_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and o.status >= 500]

    def tracebacks(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.traceback]


# -- schemathesis


def _draw(strategy: Any, count: int, seed: int, take: Callable[[Any], None]) -> None:
    """`count` examples of `strategy`, drawn from `seed` (a run repeats), each given to `take`."""

    @hypothesis_seed(seed)
    @given(strategy)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        take(case)

    collect()


def schemathesis_probes(per_strategy: int, seed: int) -> list[Probe]:
    """Positive and negative cases of every operation, with drawn path ids and with the seed's ids."""
    schema = schemathesis.openapi.from_dict(load_spec())
    probes: list[Probe] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # our spec is valid (tests/test_spec.py)
        seeded = {k: v for k, v in SEEDED_IDS.items() if "{" + k + "}" in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for ids in ({}, seeded) if seeded else ({},):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=ids or None)
                family = f"schemathesis-{mode.value}{'-seeded' if ids else ''}"
                cases: list[Any] = []
                _draw(strategy, per_strategy, seed, cases.append)
                # With the seed's ids the cases also get a valid token, so they reach validation and the
                # store; with drawn ids they keep their drawn Authorization and exercise auth.
                probes.extend(Probe(family, case=case, valid_token=bool(ids)) for case in cases)
    random.Random(seed).shuffle(probes)
    return probes


# -- hand-made probes, drawn from a seeded Random


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, -(2**64), rng.randrange(-(10**20), 10**20)])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e-320, 3.0])
    if kind == 4:
        return "".join(
            rng.choice('aZ09 _-\u00e9\u4e2d\U0001f600"\\\n\t\x00') for _ in range(rng.randrange(12))
        )
    if kind == 5:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {_json_value(rng, 3) if rng.random() < 0.9 else "k": _json_value(rng, depth + 1) for _ in range(3)}


def _wrong_types(rng: random.Random, path: str) -> bytes:
    body = dict(VALID_BODIES[path])
    for name in rng.sample(sorted(body), rng.randrange(1, len(body) + 1)):
        body[name] = _json_value(rng)
    if rng.random() < 0.3:
        body[rng.choice(["extra", "", "\u4e2d", "__proto__"])] = _json_value(rng)
    return json.dumps({str(k): v for k, v in body.items()}).encode()


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """A valid body broken at the byte level: cut, a byte flipped, junk inserted or a brace dropped."""
    cut = rng.randrange(1, max(2, len(data)))
    choice = rng.randrange(4)
    if choice == 0:
        return data[:cut]
    if choice == 1:
        return data[:cut] + bytes([rng.randrange(256)]) + data[cut + 1 :]
    if choice == 2:
        return data[:cut] + rng.randbytes(rng.randrange(1, 8)) + data[cut:]
    return data.replace(b"}", b"", 1) if rng.random() < 0.5 else data.replace(b'"', b"", 1)


MALFORMED = [
    b"{",
    b"}",
    b'{"external_id":',
    b"[1,2",
    b"nul",
    b"{'external_id': 'x'}",
    b"NaN",
    b'{"a": NaN}',
    b"-Infinity",
    b'{"a": Infinity}',
    b'{"external_id": "x",}',
    b'{"external_id" "x"}',
    b'"unterminated',
    b'{"external_id": "x"} trailing',
    b"{}{}",
    b"\x00",
    b" ",
    b"\n\r\t",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"external_id": "\\x41"}',
    b'{"external_id": "\\u12"}',
    b"1e400",
    b'{"external_id": 1e400}',
    b"--",
    b"0x10",
    b'{"external_id": 01}',
]
NON_OBJECTS = [
    b"null",
    b"true",
    b"false",
    b"0",
    b"-1.5",
    b'"external_id"',
    b"[]",
    b'[{"external_id": "x"}]',
    b'""',
]
NON_UTF8 = [
    b"\xff\xfe",
    b"\xc3\x28",
    b'{"external_id": "\xe9"}',
    b'{"external_id": "\xc3\x28"}',
    b"\xed\xa0\x80",
    '{"external_id": "x"}'.encode("utf-16"),
    '{"external_id": "x"}'.encode("utf-32"),
    b'\xef\xbb\xbf{"external_id": "bom"}',
    b"\x80" * 64,
    b'{"external_id": "\xf0\x28\x8c\xbc"}',
]
AUTH_VALUES = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "bearer t-abc",
    "Basic dXNlcjpwYXNz",
    "Bearer t-",
    "Bearer u-unknown",
    "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
    "Bearer t-" + "a" * 10_000,
    "Bearer  t-doublespace",
    "Token t-x",
    "Bearer t-\u00e9\u00e9",
    "Bearer t-x, Bearer t-y",
    "Bearer\tt-tab",
]
CONTENT_TYPES = [
    None,
    "",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "application/xml",
    "*/*;;;",
    'application/json; boundary="',
    "\u00e9/\u00e9",
]
METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]
PATHS = [
    "/",
    "/open-apis",
    "/open-apis/hire/v1/websites",
    f"/open-apis/hire/v1/websites/{WEBSITE_ID}",
    f"/open-apis/hire/v1/websites/{WEBSITE_ID}/site_users/",
    "/open-apis//hire/v1/websites/1/site_users",
    "/open-apis/hire/v1/websites/%2e%2e/site_users",
    "/open-apis/hire/v1/websites/\u4e2d/site_users",
    "/open-apis/hire/v1/websites/" + "9" * 5000 + "/site_users",
    "/open-apis/hire/v2/jobs/1/managers/batch_update",
    "/open-apis/hire/v1/jobs/%00/managers/batch_update",
    "/open-apis/auth/v3/tenant_access_token/internal//",
    "/mock-api/nothing",
    "/open-apis/hire/v1/talents//external_info",
    "/OPEN-APIS/auth/v3/tenant_access_token/internal",
]
RAW = [
    b"GARBAGE\r\n\r\n",
    b"\r\n\r\n",
    b"GET\r\n\r\n",
    b"POST /x HTTP/9.9\r\n\r\n",
    b"GET / HTTP/1.1\r\nno-colon\r\n\r\n",
    b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /open-apis/hire/v1/websites/\xe4\xb8/site_users HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"POST " + SITE_USERS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
    b"POST " + SITE_USERS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
    b"POST "
    + SITE_USERS.encode()
    + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
    b"POST "
    + SITE_USERS.encode()
    + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    b"POST " + TOKEN_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n\xff\xfe\x00\x01\x02",
]


def _with_auth(value: str | None, content_type: str | None) -> tuple[tuple[str, str], ...]:
    headers = [] if value is None else [("Authorization", value)]
    return tuple(headers + ([] if content_type is None else [("Content-Type", content_type)]))


def handmade_probes(count: int, seed: int) -> list[Probe]:
    """`count` probes: every fixed case once, the rest drawn at random (wrong types, mutated bodies, random
    bodies, header and method/path mixes)."""
    rng = random.Random(seed)
    fixed: list[Probe] = []
    for path in POST_PATHS:
        fixed += [Probe("malformed-json", path=path, content=b) for b in MALFORMED]
        fixed += [Probe("non-object", path=path, content=b) for b in NON_OBJECTS]
        fixed += [Probe("non-utf8", path=path, content=b) for b in NON_UTF8]
        big = json.dumps({**VALID_BODIES[path], "name": "x" * (MIB + 10)}).encode()
        fixed += [
            Probe("oversized", path=path, content=big),
            Probe("oversized", path=path, content=big, chunked=True),
            Probe("oversized", path=path, content=b" " * MIB + b"{}"),
            Probe("oversized", path=path, content=rng.randbytes(2 * MIB), chunked=True),
        ]
        fixed.append(Probe("malformed-json", path=path, content=b'{"external_id": ' + b"7" * 5000 + b"}"))
        fixed.append(Probe("wrong-types", path=path, content=_lone_surrogate_body(path)))
    fixed += [Probe("raw-http", raw=r) for r in RAW]
    fixed += [Probe("method-path", method=m, path=p) for m in [*METHODS, "POST"] for p in PATHS]
    fixed += [Probe("method-path", method=m, path=p, content=b"{}") for m in METHODS for p in POST_PATHS]
    drawn: list[Probe] = []
    while len(fixed) + len(drawn) < count:
        path = rng.choice(POST_PATHS)
        kind = rng.randrange(6)
        if kind == 0:
            drawn.append(Probe("wrong-types", path=path, content=_wrong_types(rng, path)))
        elif kind == 1:
            drawn.append(
                Probe(
                    "malformed-json", path=path, content=_mutate(rng, json.dumps(VALID_BODIES[path]).encode())
                )
            )
        elif kind == 2:
            drawn.append(Probe("random-json", path=path, content=json.dumps(_json_value(rng)).encode()))
        elif kind == 3:
            drawn.append(Probe("random-bytes", path=path, content=rng.randbytes(rng.randrange(1, 256))))
        elif kind == 4:
            headers = _with_auth(rng.choice(AUTH_VALUES), rng.choice(CONTENT_TYPES))
            drawn.append(
                Probe("headers", path=path, content=json.dumps(VALID_BODIES[path]).encode(), headers=headers)
            )
        else:
            params = tuple(
                (
                    rng.choice(["user_id_type", "user_id_type", "page_size", "\u4e2d", ""]),
                    str(_json_value(rng, 3)),
                )
                for _ in range(rng.randrange(1, 4))
            )
            target = BATCH_UPDATE if rng.random() < 0.7 else path
            body = json.dumps(VALID_BODIES[target]).encode()
            drawn.append(Probe("query", path=target, params=params, content=body))
    probes = (fixed if len(fixed) <= count else rng.sample(fixed, count)) + drawn
    rng.shuffle(probes)
    return probes


def _lone_surrogate_body(path: str) -> bytes:
    body = dict(VALID_BODIES[path])
    first = next(k for k, v in body.items() if isinstance(v, str))
    return json.dumps(body).replace(json.dumps(body[first]), '"\\ud800"', 1).encode()


# -- sending


def _raw(base_url: str, payload: bytes) -> tuple[int | None, str]:
    host, port = httpx.URL(base_url).host, httpx.URL(base_url).port
    with socket.create_connection((host, port or 80), timeout=5) as s:
        s.settimeout(1.0)
        with contextlib.suppress(OSError):
            s.sendall(payload)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                chunks.append(chunk)
    answer = b"".join(chunks).decode("latin-1")
    match = re.match(r"HTTP/1\.[01] (\d{3})", answer)
    return (int(match.group(1)) if match else None), answer


class Sender:
    """Sends probes from many threads: an httpx client and a requests session per thread."""

    def __init__(self, base_url: str, token_value: str) -> None:
        self.base_url = base_url
        self.token = token_value
        self._local = threading.local()
        self._opened: list[httpx.Client | requests.Session] = []

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(base_url=self.base_url, timeout=30)
            self._opened.append(client)
        return client

    def close(self) -> None:
        for opened in self._opened:
            opened.close()

    def send(self, probe: Probe) -> Outcome:
        if probe.raw is not None:
            status, text = _raw(self.base_url, probe.raw)
            return Outcome(probe.family, status, bool(TRACEBACK.search(text)), repr(probe.raw[:80]))
        if probe.case is not None:
            return self._case(probe)
        try:
            response = self._http(probe)
            detail = f"{probe.method} {probe.path[:80]} {probe.content[:120] if probe.content else b''!r}"
        except httpx.LocalProtocolError:
            # httpx will not send it (e.g. a header value with trailing whitespace): the same bytes, raw.
            status, text = _raw(self.base_url, self._as_raw(probe))
            detail = repr(probe)[:200]
            return Outcome(
                probe.family, status, bool(TRACEBACK.search(text)), detail, probe.path, probe.content or b""
            )
        except httpx.TransportError as exc:
            self._local.client = None
            return Outcome(probe.family, None, False, f"{type(exc).__name__}: {exc}")
        sent = response.request
        traceback = bool(TRACEBACK.search(response.text))
        return Outcome(
            probe.family, response.status_code, traceback, detail, sent.url.path, probe.content or b""
        )

    def _case(self, probe: Probe) -> Outcome:
        """A schemathesis case on schemathesis' own transport, with a valid token unless the case
        carries its own Authorization (then auth is what it exercises)."""
        case = probe.case
        if probe.valid_token or "Authorization" not in (case.headers or {}):
            case.headers = {**(case.headers or {}), **bearer(self.token)}
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            self._opened.append(session)
        detail = f"{case.operation.label} {case.body!r:.200}"
        try:
            response = case.call(base_url=self.base_url, session=session, timeout=30)
        except requests.RequestException as exc:
            self._local.session = None
            return Outcome(probe.family, None, False, f"{type(exc).__name__}: {exc} {detail}")
        sent = response.request
        content = sent.body.encode() if isinstance(sent.body, str) else (sent.body or b"")
        path = httpx.URL(sent.url).path
        traceback = bool(TRACEBACK.search(response.text))
        return Outcome(probe.family, response.status_code, traceback, detail, path, content)

    def _as_raw(self, probe: Probe) -> bytes:
        if probe.case is not None:
            raise ValueError("schemathesis cases go through httpx only")
        headers = probe.headers or ()
        body = probe.content or b""
        query = httpx.QueryParams(list(probe.params))
        target = probe.path + (f"?{query}" if query else "")
        lines = [
            f"{probe.method} {target} HTTP/1.1",
            "Host: 127.0.0.1",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in headers),
        ]
        return "\r\n".join(lines).encode() + b"\r\n\r\n" + body

    def _http(self, probe: Probe) -> httpx.Response:
        headers = probe.headers
        if headers is None:
            headers = (*bearer(self.token).items(), ("Content-Type", "application/json; charset=utf-8"))
        content: bytes | Iterator[bytes] | None = probe.content
        if probe.chunked and probe.content is not None:
            data = probe.content
            content = iter([data[i : i + 65536] for i in range(0, len(data), 65536)])
        return self._client().request(
            probe.method,
            probe.path,
            content=content,
            params=list(probe.params),
            headers=[(k.encode(), v.encode()) for k, v in headers],
        )


def still_answers(base_url: str) -> bool:
    """A token, a create and the control plane's state, each answered as usual."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        headers = bearer(token(base_url))
        created = client.post(SITE_USERS, json={"external_id": f"after-{time.time_ns()}"}, headers=headers)
        return created.json()["code"] == 0 and client.get("/mock-api/state").status_code == 200


def fuzz(base_urls: Sequence[str], probes: Sequence[Probe], threads: int) -> Report:
    """The probes sent from `threads` threads, round-robin over the servers of one sandbox."""
    report = Report()
    value = token(base_urls[0])  # the servers share their database: valid on each
    senders = [Sender(url, value) for url in base_urls]
    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            report.outcomes = list(
                pool.map(lambda i: senders[i % len(senders)].send(probes[i]), range(len(probes)))
            )
    finally:
        for sender in senders:
            sender.close()
    report.seconds = time.perf_counter() - began
    report.still_answers = all(still_answers(url) for url in base_urls)
    return report


def probes_for(total: int, seed: int) -> list[Probe]:
    """About 60 % schemathesis cases (14 strategies), the rest hand-made, `total` in all."""
    cases = schemathesis_probes(max(1, total * 6 // 10 // 14), seed)
    return cases + handmade_probes(total - len(cases), seed)


def run(
    total: int,
    seed: int,
    threads: int,
    logs: Path,
    workers: int = 1,
    *,
    engine: str = "sqlite",
    servers: int = 1,
) -> tuple[Report, int]:
    """Fuzzes `servers` fresh `feishu-hire serve` of one sandbox (`engine`: see `common.sandbox`); answers
    the report and the unexpected errors in the servers' logs (each logged with its traceback, which
    never goes into an answer)."""
    probes = probes_for(total, seed)
    serve = ("--no-rate-limits", "--workers", str(workers))
    with sandbox(engine, logs, servers, *serve, logs=logs) as (started, _):
        report = fuzz([s.base_url for s in started], probes, threads)
    logged = sum(
        (logs / f"mock-{i}.log").read_text(errors="replace").count("unexpected error answering")
        for i in range(servers)
    )
    return report, logged


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="`feishu-hire serve --workers`")
    parser.add_argument("--servers", type=int, default=1, help="servers of one sandbox, probes shared")
    add_engine_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drill-fuzz-") as tmp:
        report, logged = run(
            args.requests,
            args.seed,
            args.threads,
            Path(tmp),
            args.workers,
            engine=args.engine,
            servers=args.servers,
        )
    statuses: dict[str, Counter[str]] = {}
    for o in report.outcomes:
        statuses.setdefault(o.family, Counter())["none" if o.status is None else f"{o.status // 100}xx"] += 1
    sent = len(report.outcomes)
    serve = f"feishu-hire serve --no-rate-limits --workers {args.workers}"
    where = f"{args.servers} x `{serve}` on {args.engine}"
    print(f"{sent} requests against {where} in {report.seconds:.1f} s")
    print(f"{'family':<32}{'sent':>7}{'2xx':>7}{'4xx':>7}{'5xx':>6}{'none':>6}")
    for family, counts in sorted(statuses.items()):
        line = "".join(f"{counts[k]:>{w}}" for k, w in (("2xx", 7), ("4xx", 7), ("5xx", 6), ("none", 6)))
        print(f"{family:<32}{sum(counts.values()):>7}{line}")
    errors = report.server_errors()
    print(f"\n5xx answers: {len(errors)}; tracebacks in bodies: {len(report.tracebacks())}")
    print(f"unexpected errors in the server log: {logged}; server still answers: {report.still_answers}")
    for o in errors[:10]:
        print(f"  !! {o.family} {o.status}: {o.detail}")
    print("('none' = no HTTP answer: raw probes the server waited on or closed, as HTTP servers do)")
    print(f"reproduce: {reproduce('benchmarks.drills.fuzz')}")
    clean = not errors and not report.tracebacks() and not logged and report.still_answers
    raise SystemExit(0 if clean and sent >= args.requests else 1)


if __name__ == "__main__":
    main()
