"""Fuzzing a real server, bounded (benchmarks/drills/fuzz.py runs 10,000): schemathesis' positive and
negative cases and hand-made malformed, non-object, non-UTF-8, oversized, badly-headed, wrong-method and
raw-HTTP requests. No 5xx, no traceback in any body, and the server still
answers. The three inputs the 10,000-request drill once turned into 500s are pinned below.
contract_tests/test_schemathesis.py checks the answers' contract."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from benchmarks.drills.fuzz import Outcome, run
from mockserver.pytest_plugin import InProcessMock
from mockserver.seed import DEFAULT_APP_ID
from tests.mockserver.helpers import BATCH_UPDATE, EXTERNAL_INFO, SITE_USERS, TOKEN_PATH, bearer, body

REQUESTS = 400


@pytest.mark.slow
def test_bounded_fuzz_finds_no_5xx_and_no_traceback(tmp_path: Path) -> None:
    report, _ = run(REQUESTS, seed=1, threads=4, logs=tmp_path)
    assert len(report.outcomes) >= REQUESTS
    families = Counter(o.family for o in report.outcomes)
    # Every kind of probe was sent, and most got an HTTP answer.
    for family in ("schemathesis-positive-seeded", "schemathesis-negative", "malformed-json", "oversized"):
        assert families[family] > 0, families
    answered = [o for o in report.outcomes if o.status is not None]
    assert len(answered) > 0.95 * len(report.outcomes)
    assert report.tracebacks() == []
    errors: list[Outcome] = report.server_errors()
    assert errors == [], [f"{o.family} {o.status} {o.detail}" for o in errors[:5]]
    assert report.still_answers


@pytest.fixture
def client(feishu_mock: InProcessMock) -> httpx.Client:
    return feishu_mock.client()


BODY_PATHS = [TOKEN_PATH, SITE_USERS, EXTERNAL_INFO, BATCH_UPDATE]


def _refused_as_bad_input(client: httpx.Client, path: str, content: bytes) -> None:
    headers = {} if path == TOKEN_PATH else bearer(client)
    r = client.post(path, content=content, headers={**headers, "Content-Type": "application/json"})
    # The token endpoint refuses unusable input with 200/10003; the others with 400/1002002.
    expected = (200, 10003) if path == TOKEN_PATH else (400, 1002002)
    assert (r.status_code, body(r)["code"]) == expected, r.text[:200]


# json.loads raises a plain ValueError (not JSONDecodeError) past int's 4300-digit limit.
@pytest.mark.parametrize("path", BODY_PATHS)
def test_integer_over_4300_digits_is_bad_input(client: httpx.Client, path: str) -> None:
    _refused_as_bad_input(client, path, b'{"external_id": ' + b"7" * 5000 + b"}")


# A lone "\\ud800" parses to a str that neither SQLite nor the UTF-8 answer can hold.
@pytest.mark.parametrize(
    ("path", "content"),
    [
        (TOKEN_PATH, b'{"app_id": "\\ud800", "app_secret": "x"}'),
        (SITE_USERS, b'{"external_id": "\\ud800"}'),
        (EXTERNAL_INFO, b'{"external_create_time": "\\ud800"}'),
        (BATCH_UPDATE, b'{"update_option_list": [1], "recruiter_id": "\\udfff"}'),
    ],
)
def test_lone_surrogate_escape_is_bad_input(client: httpx.Client, path: str, content: bytes) -> None:
    _refused_as_bad_input(client, path, content)


def test_a_valid_surrogate_pair_is_a_character(client: httpx.Client) -> None:
    r = client.post(SITE_USERS, content=b'{"external_id": "e-\\ud83d\\ude00"}', headers=bearer(client))
    assert (r.status_code, body(r)["code"]) == (200, 0), r.text[:200]
    assert body(r)["data"]["site_user"]["external_id"] == "e-\U0001f600"


# secrets.compare_digest refuses str with non-ASCII characters.
def test_non_ascii_secret_of_a_known_app_is_refused(client: httpx.Client) -> None:
    r = client.post(TOKEN_PATH, json={"app_id": DEFAULT_APP_ID, "app_secret": "sandbox-secrét"})
    assert (r.status_code, body(r)["code"]) == (200, 10003), r.text[:200]
