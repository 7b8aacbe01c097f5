"""`scripts/uv` makes venvs (.venv among them) with the machine's distribution Python, `/usr/bin/python3`
when it is 3.11 or newer, unless UV_PYTHON names another interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UV = str(ROOT / "scripts" / "uv")
DISTRIBUTION_PYTHON = Path("/usr/bin/python3")


def _distribution_python_usable() -> bool:
    try:
        done = subprocess.run(
            [str(DISTRIBUTION_PYTHON), "-c", "import sys; sys.exit(sys.version_info < (3, 11))"],
            check=False,
            timeout=30,
        )
    except OSError:
        return False
    return done.returncode == 0


def _venv_home(tmp_path: Path, env: dict[str, str]) -> Path:
    """The folder of the interpreter `scripts/uv venv` made a venv with, under `env`."""
    venv = tmp_path / "venv"
    subprocess.run([UV, "venv", "--quiet", str(venv)], env=env, cwd=tmp_path, check=True, timeout=120)
    config = dict(
        line.split(" = ", 1) for line in (venv / "pyvenv.cfg").read_text().splitlines() if " = " in line
    )
    return Path(config["home"])


@pytest.mark.skipif(
    not _distribution_python_usable(),
    reason=f"no Python 3.11+ at {DISTRIBUTION_PYTHON}: scripts/uv leaves the choice to uv there",
)
def test_venvs_are_made_with_the_distribution_python(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if name != "UV_PYTHON"}
    assert _venv_home(tmp_path, env) == DISTRIBUTION_PYTHON.parent


def test_uv_python_chooses_another(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere" / "python3"
    chosen.parent.mkdir()
    chosen.symlink_to(Path(sys.executable).resolve())
    assert _venv_home(tmp_path, {**os.environ, "UV_PYTHON": str(chosen)}) == chosen.parent
