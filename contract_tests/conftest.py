"""Options, hypothesis profiles and the `target` fixture of the contract suite.

Profiles: `ci` (derandomized, bounded; chosen when CI=true), `dev` (the default), `deep` (many more
examples); pick one with HYPOTHESIS_PROFILE or `--hypothesis-profile`. The header of every run prints
the profile and the seed; `--hypothesis-seed=N` replays a run."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import core as hypothesis_core

from contract_tests.options import TARGET_OPTIONS
from contract_tests.targets import Target, given_ids, has_control_plane, is_url, seed_ids, target_names
from feishu_hire_kit.resources import resource_kinds
from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.control import MockControl
from mockserver.seed import load_seed

# Function-scoped fixtures (a target, a mock) are shared by a test's examples on purpose: the
# properties hold on any state, and a fresh server per example would cost seconds.
_COMMON: dict[str, Any] = {
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "deadline": None,
}
settings.register_profile("ci", derandomize=True, database=None, max_examples=12, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=25, **_COMMON)
settings.register_profile("deep", max_examples=1000, stateful_step_count=80, **_COMMON)
DEFAULT_PROFILE = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", DEFAULT_PROFILE))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Feishu Hire contract tests")
    for flag, options in TARGET_OPTIONS:
        group.addoption(flag, **options)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "over_http: runs against the mock over HTTP only (not in-process), when both are targets"
    )
    # A random run still prints (and so can replay) its seed; a derandomized one needs none.
    if not settings().derandomize and config.getoption("hypothesis_seed", None) is None:
        hypothesis_core.global_force_seed = random.getrandbits(32)  # type: ignore[assignment]


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


def _url_target(config: pytest.Config, url: str) -> Target:
    app_id, app_secret = config.getoption("--app-id"), config.getoption("--app-secret")
    if not app_id or not app_secret:
        pytest.fail(f"--target {url} needs --app-id and --app-secret", pytrace=False)
    ids = given_ids(
        {kind: config.getoption(f"--{kind}-id") for kind in resource_kinds()}, config.getoption("--user")
    )
    if not any(ids.resources.values()):
        from contract_tests.strategies import spec_example_ids  # not at import: hypothesis warns

        ids = spec_example_ids()  # the docs' ids, which the mock (and a sandbox seeded like it) has
    return Target(url, url.rstrip("/"), app_id, app_secret, ids, control=None)


@pytest.fixture
def feishu_mock_config(tmp_path: Path) -> MockConfig:
    """The mock fixtures' configuration here: a frozen clock, so rate windows move only when a test
    says so (`Target.tick`) and the spec's limits stay on without making hypothesis runs flaky."""
    return MockConfig(db_path=tmp_path / "feishu-mock.db", clock=Clock(start=time.time()))


def _mock_target(request: pytest.FixtureRequest, name: str) -> Target:
    mock = request.getfixturevalue("feishu_mock" if name == "inprocess" else "feishu_mock_server")
    return Target(
        name,
        mock.base_url,
        mock.app_id,
        mock.app_secret,
        seed_ids(load_seed(request.getfixturevalue("feishu_mock_config").seed), mock.app_id),
        transport=getattr(mock, "transport", None),
        control=mock.control,
    )


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    name: str = request.param
    control: MockControl | None = None
    if is_url(name):
        built = _url_target(request.config, name)
        if has_control_plane(built.base_url):
            control = MockControl.connect(built.base_url)
            built.control = control
    else:
        built = _mock_target(request, name)
    if request.node.get_closest_marker("control_plane") and built.control is None:
        pytest.skip(f"needs the mock's /mock-api/ control plane, which target {name} does not have")
    yield built
    if control is not None:
        control.close()
