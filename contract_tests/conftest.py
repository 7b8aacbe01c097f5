"""Options, markers, hypothesis profiles, the preflight and the `target` fixture of the contract suite.
Everything the suite needs registers here, so it runs the same from this repository and from a user
project with its own pytest configuration (`--strict-markers` included).

The hypothesis profile (profiles.py) sets each test's timeout; the header of every run prints the
profile and the seed; `--hypothesis-seed=N` replays a run."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import core as hypothesis_core
from hypothesis import settings

from contract_tests.access import Access, url_access
from contract_tests.options import TARGET_OPTIONS
from contract_tests.preflight import PreflightError, tenant_token
from contract_tests.profiles import current_profile
from contract_tests.targets import Target, given_ids, is_url, pooled_transport, seed_ids, target_names
from feishu_hire_kit.resources import resource_kinds
from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.seed import load_seed

MARKERS = {
    "control_plane": "drives the target's /mock-api/ control plane (skipped where it may not: access.py)",
    "over_http": "runs against the mock over HTTP only (not in-process), when both are targets",
}
PROGRESS_EVERY = "30"
"""Seconds between progress lines while one test runs (ini option `contract_progress_seconds`)."""
_TOKEN = pytest.StashKey[str]()  # the app's tenant token on a URL target, from the preflight


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Feishu Hire contract tests")
    for flag, options in TARGET_OPTIONS:
        group.addoption(flag, **options)
    parser.addini(
        "contract_progress_seconds",
        "seconds between progress lines of a long contract test",
        default=PROGRESS_EVERY,
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    # A random run still prints (and so can replay) its seed; a derandomized one needs none.
    if not settings().derandomize and config.getoption("hypothesis_seed", None) is None:
        hypothesis_core.global_force_seed = random.getrandbits(32)  # type: ignore[assignment]


def pytest_sessionstart(session: pytest.Session) -> None:
    """The preflight: a URL target must answer the app's token request, or the run stops here."""
    config = session.config
    url: str = config.getoption("--target")
    if not is_url(url) or config.getoption("collectonly"):
        return
    try:
        token = tenant_token(url, config.getoption("--app-id"), config.getoption("--app-secret"))
    except PreflightError as exc:
        raise pytest.UsageError(f"contract: {exc}") from None  # one line, exit status 4
    config.stash[_TOKEN] = token


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The profile's per-test timeout, wherever pytest-timeout is installed; over a project's ini
    # default (sized for other tests), under `--timeout` given on the command line and a test's marker.
    if not config.pluginmanager.hasplugin("timeout") or config.getoption("timeout", None) is not None:
        return
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(current_profile().timeout))


def say(config: pytest.Config, line: str) -> None:
    """`line` on the terminal now, while a test runs: past pytest's output capture, flushed (so it
    also shows at once in a pipe or a CI log)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        reporter.write_line(line)
        reporter.flush()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A progress line every `contract_progress_seconds` while a test runs (deep runs take minutes)."""
    reporter = item.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return (yield)
    every = float(item.config.getini("contract_progress_seconds"))
    done = threading.Event()
    started = time.monotonic()

    def report() -> None:
        while not done.wait(every):
            target = getattr(item, "funcargs", {}).get("target")
            examples = f", {target.ticks} examples/steps" if isinstance(target, Target) else ""
            say(item.config, f"contract: {item.nodeid} running {time.monotonic() - started:.0f} s{examples}")

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    try:
        return (yield)
    finally:
        done.set()
        thread.join()  # no line half-written when the test's own capture ends


def pytest_report_header(config: pytest.Config) -> str:
    return _run_line(config)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    # Also at the end, and under -q (which hides the header): the line that makes a run replayable.
    terminalreporter.write_line(_run_line(config))


def _run_line(config: pytest.Config) -> str:
    current = settings()
    seed = hypothesis_core.global_force_seed
    how = "derandomized" if current.derandomize else f"seed {seed} (replay: --hypothesis-seed={seed})"
    return (
        f"contract: target {config.getoption('--target')}; hypothesis profile "
        f"{settings.get_current_profile_name()}, max_examples {current.max_examples}, {how}"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        names = target_names(metafunc.config.getoption("--target"))
        if metafunc.definition.get_closest_marker("over_http") and len(names) > 1:
            names = [n for n in names if n != "inprocess"]
        metafunc.parametrize("target", names, indirect=True)


@pytest.fixture(scope="session")
def url_target_access(request: pytest.FixtureRequest) -> Iterator[Access]:
    """What the run may do to a URL target's control plane, decided once (access.py)."""
    config = request.config
    url: str = config.getoption("--target")
    access = url_access(
        url.rstrip("/"),
        config.getoption("--app-id"),
        config.getoption("--app-secret"),
        config.stash[_TOKEN],
        allow=config.getoption("--allow-control-plane"),
        admin_token=config.getoption("--admin-token"),
    )
    if access.control is None:
        say(config, f"contract: {access.why_not}")
    yield access
    access.close()


def _url_target(request: pytest.FixtureRequest, url: str) -> Target:
    config = request.config
    ids = given_ids(
        {kind: config.getoption(f"--{kind}-id") for kind in resource_kinds()}, config.getoption("--user")
    )
    if not any(ids.resources.values()):
        from contract_tests.strategies import spec_example_ids  # not at import: hypothesis warns

        ids = spec_example_ids()  # the docs' ids, which the mock (and a sandbox seeded like it) has
    access: Access = request.getfixturevalue("url_target_access")
    return Target(
        url,
        url.rstrip("/"),
        config.getoption("--app-id"),
        config.getoption("--app-secret"),
        ids,
        transport=pooled_transport(),
        control=access.control,
    )


@pytest.fixture
def feishu_mock_config(tmp_path: Path) -> MockConfig:
    """The mock fixtures' configuration here: a frozen clock, so rate windows move only when a test
    says so (`Target.tick`) and the spec's limits stay on without making hypothesis runs flaky."""
    return MockConfig(db_path=tmp_path / "feishu-mock.db", clock=Clock(start=time.time()))


def _mock_target(request: pytest.FixtureRequest, name: str) -> Target:
    mock = request.getfixturevalue("feishu_mock" if name == "inprocess" else "feishu_mock_server")
    transport: httpx.BaseTransport = getattr(mock, "transport", None) or pooled_transport()
    return Target(
        name,
        mock.base_url,
        mock.app_id,
        mock.app_secret,
        seed_ids(load_seed(request.getfixturevalue("feishu_mock_config").seed), mock.app_id),
        transport=transport,
        control=mock.control,
    )


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    name: str = request.param
    built = _url_target(request, name) if is_url(name) else _mock_target(request, name)
    if request.node.get_closest_marker("control_plane") and built.control is None:
        access: Access = request.getfixturevalue("url_target_access")
        pytest.skip(access.why_not)
    yield built
    built.close()
