"""The Feishu envelope, log ids, error objects, and every malformed input answered without a 500."""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mockserver import MockConfig, create_app
from mockserver.clock import Clock
from mockserver.errors import SYSTEM_ERROR, FeishuAPIError
from mockserver.operations import site_users
from mockserver.pytest_plugin import InProcessMock, RunningMock
from mockserver.runtime import EXTENSION
from tests.mockserver.helpers import BATCH_UPDATE, DOC_SITE_USER, SITE_USERS, TOKEN_PATH, bearer, body


def test_success_carries_envelope_and_log_id(client: httpx.Client) -> None:
    r = client.post(SITE_USERS, json=DOC_SITE_USER, headers=bearer(client))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert set(body(r)) == {"code", "msg", "data"}
    assert body(r)["code"] == 0
    assert body(r)["msg"] == "ok"
    assert len(r.headers["X-Tt-Logid"]) == 34


def test_error_carries_error_object_with_the_headers_log_id(client: httpx.Client) -> None:
    r = client.post(SITE_USERS, json={"name": "no external id"}, headers=bearer(client))
    assert r.status_code == 400
    answer = body(r)
    assert answer["code"] == 1002002
    assert answer["error"]["log_id"] == r.headers["X-Tt-Logid"]
    assert answer["error"]["field_violations"] == [
        {"field": "external_id", "description": "external_id is required"}
    ]


def test_log_id_header_has_feishus_exact_casing(feishu_mock_server: RunningMock) -> None:
    url = urlsplit(feishu_mock_server.base_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port)
    conn.request("POST", SITE_USERS, body=b"{}")
    response = conn.getresponse()
    names = [name for name, _ in response.getheaders()]
    conn.close()
    assert "X-Tt-Logid" in names  # lark-oapi looks the header up with this casing, in a plain dict


@pytest.mark.parametrize(
    ("raw", "field", "description_starts"),
    [
        (b"{not json", "body", "the body is not JSON"),
        (b"[1, 2]", "body", "[1, 2] is not of type 'object'"),
        (b'"text"', "body", "'text' is not of type 'object'"),
        (b"\xff\xfe{}", "body", "the body is not UTF-8"),
        (b'{"external_id": NaN}', "body", "NaN is not JSON"),
        (b'{"external_id": "x", "extra": -1.5e400}', "body", "-1.5e400 is beyond the range of a double"),
        (b'{"extra": 1' + b"0" * 400 + b".5}", "body", "1" + "0" * 31 + "… is beyond the range"),
        (b'\xef\xbb\xbf{"external_id": "x"}', "body", "the body is not JSON: Unexpected UTF-8 BOM"),
        (b"", "body", "a JSON object body is required"),
        (b'{"external_id": 6960663240925956621}', "external_id", "6960663240925956621 is not of type"),
        (b'{"external_id": ""}', "external_id", "'' should be non-empty"),
        (b"[" * 100_000, "body", "the body nests too deeply"),
    ],
)
def test_malformed_bodies_are_1002002_not_500(
    client: httpx.Client, raw: bytes, field: str, description_starts: str
) -> None:
    r = client.post(SITE_USERS, content=raw, headers=bearer(client))
    assert r.status_code == 400
    answer = body(r)
    assert answer["code"] == 1002002
    violation = answer["error"]["field_violations"][0]
    assert violation["field"] == field
    assert violation["description"].startswith(description_starts)


def test_oversized_body_is_refused_before_parsing(client: httpx.Client) -> None:
    big = json.dumps({"external_id": "x", "name": "a" * (1 << 20)}).encode()
    r = client.post(SITE_USERS, content=big, headers=bearer(client))
    assert r.status_code == 400
    assert body(r)["code"] == 1002002
    assert "larger than 1048576 bytes" in body(r)["error"]["field_violations"][0]["description"]


def test_body_just_under_the_limit_is_accepted(client: httpx.Client) -> None:
    payload = {"external_id": "big", "name": ""}
    payload["name"] = "a" * ((1 << 20) - len(json.dumps(payload)))
    raw = json.dumps(payload).encode()
    assert len(raw) == 1 << 20
    assert body(client.post(SITE_USERS, content=raw, headers=bearer(client)))["code"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/open-apis/hire/v1/nothing"),
        ("GET", SITE_USERS),
        ("PUT", BATCH_UPDATE),
        ("OPTIONS", TOKEN_PATH),
    ],
)
def test_unknown_path_or_method_is_feishus_plain_404(client: httpx.Client, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == "404 page not found"
    assert "X-Tt-Logid" in r.headers


def test_json_404_option(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", json_404=True))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as c:
        r = c.get("/open-apis/nothing")
    assert r.status_code == 404
    assert r.json() == {"code": 404, "msg": "404 page not found"}


def test_unexpected_exception_is_1002001_without_traceback_and_writes_nothing(
    feishu_mock: InProcessMock, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        raise ZeroDivisionError("secret internals")

    # Fails while the record is built: nothing may be written (the insert comes last, or rolls back).
    monkeypatch.setattr(site_users, "new_user_id", broken)
    r = client.post(SITE_USERS, json=DOC_SITE_USER, headers=bearer(client))
    assert r.status_code == 500
    answer = body(r)
    assert answer["code"] == 1002001
    assert answer["error"]["log_id"] == r.headers["X-Tt-Logid"]
    assert "Traceback" not in r.text
    assert "secret internals" not in r.text
    assert feishu_mock.control.state()["tenants"]["sandbox"]["site_users"] == []


class _HungUp(io.BytesIO):
    """uWSGI's stream when the client goes away part way: it raises rather than ending early."""

    def read(self, size: int | None = -1) -> bytes:
        raise OSError("error during read(32) on wsgi.input")


SENT = b'{"external_id": "cut"}'


@pytest.mark.parametrize(
    ("stream", "description"),
    [
        (
            lambda: io.BytesIO(SENT),
            f"the body ended after {len(SENT)} of its {len(SENT) + 10} bytes (Content-Length)",
        ),
        (
            _HungUp,
            f"the body could not be read to its Content-Length ({len(SENT) + 10} bytes): error during",
        ),
    ],
    ids=["stream-ends-early", "stream-raises"],
)
def test_a_body_cut_short_of_its_content_length_is_1002002(
    feishu_mock: InProcessMock, stream: Callable[[], io.BytesIO], description: str
) -> None:
    # What a server hands over when the client hangs up part way; no HTTP client sends it, so the WSGI
    # app is called directly. The part that came is valid JSON: it must still not be taken.
    client = httpx.Client(transport=httpx.WSGITransport(app=feishu_mock.app), base_url="http://feishu.mock")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": SITE_USERS,
        "SERVER_NAME": "feishu.mock",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream(),
        "CONTENT_LENGTH": str(len(SENT) + 10),
        "HTTP_AUTHORIZATION": bearer(client)["Authorization"],
    }
    answers: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answers.append(status)

    payload = b"".join(feishu_mock.app(environ, start_response))
    assert answers == ["400 BAD REQUEST"]
    assert json.loads(payload)["error"]["field_violations"][0]["description"].startswith(description)
    assert body(client.post(SITE_USERS, json={"external_id": "cut"}, headers=bearer(client)))["data"]


def test_a_chunked_body_is_read_whole(feishu_mock_server: RunningMock) -> None:
    # Over HTTP: waitress decodes the chunks and ends the stream (in-process WSGI has no length to go by).
    with httpx.Client(base_url=feishu_mock_server.base_url) as client:
        parts = [b'{"external_id": ', b'"chunked", "name": "C"}']
        r = client.post(SITE_USERS, content=iter(parts), headers=bearer(client))  # no length: chunked
        assert r.request.headers["Transfer-Encoding"] == "chunked"
        assert body(r)["data"]["site_user"]["name"] == "C"


def test_a_clock_that_cannot_be_read_is_1002001_and_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The shared clock lives in the database; with the database down, every call answers 1002001 with a
    log id, and the app logs no error (as when PostgreSQL restarts under a hosted sandbox)."""
    app = create_app(MockConfig(db_path=tmp_path / "mock.db"))
    runtime = app.extensions[EXTENSION]

    class Unreadable(Clock):
        def now(self, tenant_key: str | None = None) -> float:
            raise FeishuAPIError(SYSTEM_ERROR, "system error: database unavailable (OperationalError)")

    runtime.clock = Unreadable()
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock") as client:
        answer = client.post(SITE_USERS, json={"external_id": "x"}, headers={"Authorization": "Bearer t-x"})
    assert answer.status_code == 500
    assert answer.json()["code"] == SYSTEM_ERROR
    assert answer.headers["X-Tt-Logid"]
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
