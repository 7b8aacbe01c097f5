"""Every example in README.md runs as written, and the commands of it and of benchmarks/README.md name
the venv's tools.

Each ```python block is written to a file of its own and run by pytest (in this process), with the kit's
plugin: top-level code runs as the module is imported, `test_*` functions run as tests with the
plugin's fixtures (`feishu_mock`, `feishu_mock_server`, `feishu_mock_config`, `tmp_path`, ...), and a
block may override a fixture as any test module does. So an example is self-contained against the mock:
it gets its base URL, credentials and transport from a fixture. The network is closed to them: a block
that reaches for any host but this machine's loopback fails, naming the host.

Shell commands (```bash blocks and `inline` commands) name the venv's tools or the scripts
(`.venv/bin/python`, `scripts/serve`), never a bare `python` or `pytest`, which are not the venv's.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"
# Documents whose commands are checked (`commands`): the README and the benchmarks' figures.
COMMANDS_IN = (README, README.parent / "benchmarks" / "README.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
BARE_TOOLS = ("python", "python3", "pytest", "pip", "feishu-hire", "ruff", "mypy")


def blocks(language: str, document: Path = README) -> list[tuple[int, str]]:
    text = document.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == language
    ]


def test_the_readme_has_python_examples() -> None:
    assert len(blocks("python")) >= 3


@pytest.mark.parametrize(
    ("line", "code"), blocks("python"), ids=[f"README.md:{n}" for n, _ in blocks("python")]
)
def test_python_block_runs(
    line: int, code: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK:
            raise OSError(
                f"README.md:{line}: an example reached for {host!r}; examples talk to the mock only"
            )
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    pytester.makepyfile(**{f"test_readme_line_{line}": code})
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-q", "-W", "error::pytest.PytestUnraisableExceptionWarning"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes.get("errors", outcomes.get("error", 0)) == 0, result.stdout.str()
    if re.search(r"^(async )?def test_", code, re.M):
        assert outcomes.get("passed", 0) >= 1, result.stdout.str()


def commands(document: Path) -> list[tuple[int, str]]:
    text = document.read_text(encoding="utf-8")
    found = [
        (n + i, cmd) for n, block in blocks("bash", document) for i, cmd in enumerate(block.splitlines())
    ]
    for m in re.finditer(r"`([^`\n]+)`", text):
        found.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return [(n, c.strip()) for n, c in found if c.strip()]


@pytest.mark.parametrize("document", COMMANDS_IN, ids=lambda d: str(d.relative_to(README.parent)))
def test_commands_name_the_venvs_tools(document: Path) -> None:
    name = document.relative_to(README.parent)
    bare = [
        f"{name}:{n}: {c}" for n, c in commands(document) if c.split()[0] in BARE_TOOLS and len(c.split()) > 1
    ]
    assert bare == [], "use .venv/bin/<tool> or scripts/...:\n" + "\n".join(bare)
