"""What `feishu-hire serve` says about itself is true: the banner's address, database and admin token,
the warning off loopback, `--version`, and help texts that match what runs."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.cli import _announce, add_arguments, usable_url
from mockserver.config import MockConfig
from mockserver.seed import load_seed, with_credentials
from tests.mockserver.helpers import start_server

BIN = Path(sys.executable).parent


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_wildcard_hosts_are_shown_as_an_address_a_person_can_open() -> None:
    assert usable_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert usable_url("::", 8080) == "http://[::1]:8080"
    assert usable_url("127.0.0.1", 9000) == "http://127.0.0.1:9000"


def test_banner_off_loopback_with_public_credentials_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = MockConfig(db_path=tmp_path / "m.db")
    _announce(_args("--host", "0.0.0.0"), 8080, config, load_seed(), "uvicorn, 2 worker processes")
    out, err = capsys.readouterr()
    assert "Feishu Hire mock serving on http://127.0.0.1:8080" in out
    assert "listening on every interface (0.0.0.0), port 8080" in out
    assert f"database: {(tmp_path / 'm.db').resolve()}" in out
    assert "admin token not set" in out
    assert "warning: serving off loopback (0.0.0.0) with the default public credentials" in err


def test_banner_with_own_credentials_and_an_admin_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = MockConfig(db_path=tmp_path / "m.db", admin_token="t0ken")
    seed = with_credentials(load_seed(), "cli_mine", "my-secret")
    seed["tenants"] = seed["tenants"][:1]
    _announce(_args("--host", "10.1.2.3", "--admin-token", "t0ken"), 8080, config, seed, "uvicorn")
    out, err = capsys.readouterr()
    assert "admin token set" in out
    assert "t0ken" not in out  # the token itself is not printed
    assert err == ""


def test_the_real_banner_and_python_m_mockserver(tmp_path: Path) -> None:
    """`python -m mockserver` with the options its usage shows serves, and says where."""
    process, url = start_server(
        [str(BIN / "python"), "-m", "mockserver"], tmp_path / "rel.db", "--workers", "1"
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/mock-api/state", timeout=10).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout


def test_version_and_help_texts() -> None:
    assert _run(str(BIN / "feishu-hire"), "--version").startswith("feishu-hire 0.")
    serve_help = _run(str(BIN / "feishu-hire"), "serve", "--help")
    assert "uvicorn" in serve_help
    assert "waitress" in serve_help
    assert "--host HOST" in serve_help
    assert "address to listen on" in serve_help
    assert "uWSGI" not in serve_help
    top_help = _run(str(BIN / "feishu-hire"), "--help")
    assert "uvicorn" in top_help
    module_help = _run(str(BIN / "python"), "-m", "mockserver", "--help")
    assert module_help.startswith("usage: python -m mockserver [-h] [--host HOST]")


@contextlib.contextmanager
def _serving_without(module: str, tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`feishu-hire serve --port 0` where importing `module` fails, as on a platform it has no wheel
    for; yields the process and its banner's first line, and stops it."""
    blocker = tmp_path / f"no_{module}"
    blocker.mkdir()
    (blocker / f"{module}.py").write_text("raise ImportError('no wheel for this platform')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(BIN / "feishu-hire"), "serve", "--port", "0", "--db", str(tmp_path / "m.db"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_without_uvicorn_it_falls_back_to_waitress_and_says_so(tmp_path: Path) -> None:
    with _serving_without("uvicorn", tmp_path) as (process, first):
        assert "(waitress, 1 process x 8 threads)" in first
        url = first.split("serving on ")[1].split()[0]
        assert httpx.get(f"{url}/mock-api/state", timeout=10).status_code == 200
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(10) == 0
        assert process.stderr is not None
        assert "uvicorn (the fast server) is not installed on this machine" in process.stderr.read()


def test_without_httptools_uvicorn_parses_with_h11_and_says_so(tmp_path: Path) -> None:
    with _serving_without("httptools", tmp_path, "--workers", "2") as (process, first):
        assert "(uvicorn on h11, 2 worker processes; httptools is not installed here" in first
        url = first.split("serving on ")[1].split()[0]
        answer = httpx.post(
            f"{url}/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": "cli_sandbox", "app_secret": "sandbox-secret"},
            timeout=10,
        )
        assert answer.json()["code"] == 0
        assert b"X-Tt-Logid" in [name for name, _ in answer.headers.raw]  # h11 keeps the casing
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(10) == 0
