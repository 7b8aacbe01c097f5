"""The contract suite as a partner runs it, in subprocesses against a served mock (`feishu-hire serve` on
a free 127.0.0.1 port) and against nothing: it leaves data that is not its own alone, fails fast with
one line on a target it cannot use, registers what it needs in any project, and holds a bounded number
of connections."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import contract_tests
from contract_tests.targets import MAX_CONNECTIONS
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET
from tests.mockserver.helpers import DOC_SITE_USER, SITE_USERS, bearer, start_server

SUITE = str(Path(contract_tests.__file__).parent)
SERVE = [sys.executable, "-m", "feishu_hire_kit.cli", "serve"]
CREDENTIALS = ["--app-id", DEFAULT_APP_ID, "--app-secret", DEFAULT_APP_SECRET]
PARTNER_TESTS = (
    "test_server_agrees_with_the_model or test_the_spec_rate_limits_hold_and_reset"
    " or (test_valid_calls_succeed_and_round_trip and create_website_site_user)"
)
# Seconds: a hang guard, not a timing (pytest alone may take a minute to start on a loaded machine);
# before the preflight, an unreachable target took minutes of retried token fetches to fail.
HANG_GUARD = 180
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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_server(SERVE, tmp_path_factory.mktemp("served") / "served.db")
    try:
        yield url
    finally:
        process.kill()
        process.wait()


def _established(port: int) -> int:
    """Open TCP connections accepted on `port` here (the server's side, so any client's count)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state == ESTABLISHED:
                count += 1
    return count


@dataclass
class PartnerRun:
    """A run of the suite against a served mock holding a user created before it."""

    url: str
    token: str
    user: dict[str, str]
    before: dict[str, Any]
    run: subprocess.CompletedProcess[str]
    most_connections: int


@pytest.fixture(scope="module")
def partner_run(served: str) -> PartnerRun:
    port = httpx.URL(served).port
    assert port is not None
    with httpx.Client(base_url=served, timeout=10.0) as http:
        token = bearer(http)["Authorization"]
        user = {**DOC_SITE_USER, "external_id": "partner-user-before-the-run"}
        before = http.post(SITE_USERS, json=user, headers={"Authorization": token}).json()
    assert before["code"] == 0, before
    most = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal most
        while not done.wait(0.05):
            most = max(most, _established(port))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        # The control-plane tests, and one whose examples each open a client (as the state machine's do).
        progress = ["-o", "contract_progress_seconds=0.2"]
        run = run_suite(SUITE, "--target", served, *CREDENTIALS, *progress, "-k", PARTNER_TESTS, "-rs")
    finally:
        done.set()
        sampler.join()
    return PartnerRun(served, token, user, before, run, most)


def test_a_long_test_shows_its_progress(partner_run: PartnerRun) -> None:
    assert re.search(
        r"^contract: \S+test_valid_calls_succeed_and_round_trip\S+ running \d+ s, \d+ examples/steps$",
        partner_run.run.stdout,
        re.MULTILINE,
    ), partner_run.run.stdout


def test_a_run_leaves_others_data_and_clock_alone(partner_run: PartnerRun) -> None:
    run = partner_run.run
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passed" in run.stdout
    # The mock answers GET /mock-api/scope with the partner's tenant, so the control-plane tests ran
    # there (none skipped for want of --allow-control-plane), and left others' data and clock alone.
    assert "--allow-control-plane" not in run.stdout, run.stdout
    assert " skipped" not in run.stdout, run.stdout
    with httpx.Client(base_url=partner_run.url, timeout=10.0) as http:
        # The token from before the run still works, and the user is there unchanged.
        again = http.post(
            SITE_USERS, json=partner_run.user, headers={"Authorization": partner_run.token}
        ).json()
        assert again["code"] == 0, again
        assert again["data"] == partner_run.before["data"]
        assert abs(http.get("/mock-api/clock").json()["now"] - time.time()) < 60


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets in Linux's /proc/net/tcp")
def test_a_run_holds_a_bounded_number_of_connections(partner_run: PartnerRun) -> None:
    assert partner_run.run.returncode == 0, partner_run.run.stdout + partner_run.run.stderr
    # The target's pool plus one short-lived client at a time (the preflight, the scope probe).
    assert 0 < partner_run.most_connections <= MAX_CONNECTIONS + 1, partner_run.most_connections
    port = httpx.URL(partner_run.url).port
    assert port is not None
    assert _established(port) == 0


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
