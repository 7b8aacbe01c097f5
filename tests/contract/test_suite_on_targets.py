"""The contract suite as a partner runs it, in subprocesses against a served mock (`feishu-hire serve` on
a free 127.0.0.1 port) and against nothing: it leaves data that is not its own alone, fails fast with
one line on a target it cannot use, registers what it needs in any project, and holds a bounded number
of connections."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

import contract_tests
from contract_tests.targets import MAX_CONNECTIONS
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET
from tests.mockserver.helpers import DOC_SITE_USER, SITE_USERS, bearer, start_server

SUITE = str(Path(contract_tests.__file__).parent)
SERVE = [sys.executable, "-m", "feishu_hire_kit.cli", "serve"]
CREDENTIALS = ["--app-id", DEFAULT_APP_ID, "--app-secret", DEFAULT_APP_SECRET]
CONTROL_PLANE_TESTS = "test_server_agrees_with_the_model or test_the_spec_rate_limits_hold_and_reset"
HANG_GUARD = 60  # seconds: a run that should stop at its preflight never takes this long
ESTABLISHED = "01"


def run_suite(*args: str, timeout: float = 300, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The suite in a fresh interpreter, as `feishu-hire contract` starts it, with the CI profile."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "CI": "true"},
        check=False,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    process, url = start_server(SERVE, tmp_path / "served.db")
    try:
        yield url
    finally:
        process.kill()
        process.wait()


def test_a_run_leaves_others_data_and_clock_alone(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10.0) as http:
        headers = bearer(http)
        user = {**DOC_SITE_USER, "external_id": "partner-user-before-the-run"}
        before = http.post(SITE_USERS, json=user, headers=headers).json()
        assert before["code"] == 0, before
        run = run_suite(SUITE, "--target", served, *CREDENTIALS, "-k", CONTROL_PLANE_TESTS, "-rs")
        assert run.returncode == 0, run.stdout + run.stderr
        assert "--allow-control-plane" in run.stdout  # the skip says why and how to opt in
        # The token from before the run still works, and the user is there unchanged.
        again = http.post(SITE_USERS, json=user, headers=headers).json()
        assert again["code"] == 0, again
        assert again["data"] == before["data"]
        assert abs(http.get("/mock-api/clock").json()["now"] - time.time()) < 60


def test_a_wrong_secret_stops_the_run_before_any_test(served: str) -> None:
    run = run_suite(
        SUITE, "--target", served, "--app-id", DEFAULT_APP_ID, "--app-secret", "wrong", timeout=HANG_GUARD
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"refuses app {DEFAULT_APP_ID}: code 10003" in run.stdout + run.stderr
    assert " passed" not in run.stdout
    assert " error" not in run.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # 127.0.0.1:1: nothing listens there, so the connection is refused at once.
        (["--app-id", "cli_x", "--app-secret", "s"], "cannot reach http://127.0.0.1:1/open-apis/auth"),
        ([], "--target http://127.0.0.1:1 needs --app-id and --app-secret"),
    ],
)
def test_an_unusable_target_fails_the_run_in_one_line(args: Sequence[str], expected: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "feishu_hire_kit.cli", "contract", "--target", "http://127.0.0.1:1", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in (run.stdout + run.stderr).splitlines() if expected in line]
    assert len(lines) == 1, run.stdout + run.stderr
    assert "Connection refused" in lines[0] or not args
    assert " passed" not in run.stdout
    assert " error" not in run.stdout


def test_markers_and_options_register_in_a_strict_user_project(tmp_path: Path) -> None:
    project = tmp_path / "partner-project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "--strict-markers --strict-config"\n'
    )
    run = run_suite(
        "-c",
        str(project / "pyproject.toml"),
        "--rootdir",
        str(project),
        SUITE,
        "-W",
        "error::pytest.PytestUnknownMarkWarning",
        "-k",
        "test_the_spec_rules_are_all_covered or test_the_default_target_is_the_local_mock",
        cwd=project,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def _established(port: int) -> int:
    """Open TCP connections accepted on `port` here (the server's side, so any client's count)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state == ESTABLISHED:
                count += 1
    return count


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets in Linux's /proc/net/tcp")
def test_a_stateful_run_holds_a_bounded_number_of_connections(served: str) -> None:
    port = httpx.URL(served).port
    assert port is not None
    most = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal most
        while not done.wait(0.05):
            most = max(most, _established(port))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run = run_suite(
            SUITE,
            "--target",
            served,
            *CREDENTIALS,
            "--allow-control-plane",
            "-k",
            "test_server_agrees_with_the_model",
        )
    finally:
        done.set()
        sampler.join()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    # The target's pool, the control handle's client, and one short-lived (the preflight, the probe).
    assert 0 < most <= MAX_CONNECTIONS + 2, most
    assert _established(port) == 0
