"""A person's mistakes with `feishu-hire serve` get one line on stderr and exit code 2, never a
traceback, and nothing is created before the input is checked."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

FEISHU_HIRE = str(Path(sys.executable).with_name("feishu-hire"))


def serve(tmp_path: Path, *args: str, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`feishu-hire serve` with `args` (and a database under `tmp_path` unless `db` or args give one),
    expected to refuse and exit."""
    where = [] if "--db" in args else ["--db", str(db or tmp_path / "var" / "mock.db")]
    return subprocess.run(
        [FEISHU_HIRE, "serve", *where, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "-1"], "-1 is not a port"),
        (["--port", "70000"], "70000 is not a port"),
        (["--port", "http"], "'http' is not a port number"),
        (["--rate-limit-scale", "0"], "--rate-limit-scale: 0 must be greater than 0"),
        (["--workers", "0"], "--workers: 0 must be greater than 0"),
        (["--client-timeout", "-2"], "--client-timeout: -2 must be greater than 0"),
        (["--app-id", "only"], "--app-id and --app-secret go together"),
        (["--host", "no-such-host.invalid"], "--host no-such-host.invalid"),
        (["--server", "waitress", "--workers", "2"], "waitress serves in one process"),
        (["--workers", "2", "--db", ":memory:"], "needs a database file"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], says: str) -> None:
    line = one_line(serve(tmp_path, *args))
    assert says in line
    assert not (tmp_path / "var").exists()  # nothing created


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(serve(tmp_path, "--port", str(port)))
    assert f"port {port} on 127.0.0.1 is in use" in line
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("seed.yaml", "tenants: [unclosed\n", "not valid YAML at line 2"),
        ("seed.json", '{"tenants": [}', "not valid JSON"),
        ("seed.yaml", "tenants: [{apps: []}]\n", "seed: tenants/0/apps"),
        ("seed.json", b"\xff\xfe{}".decode("latin-1"), "cannot be read"),
    ],
)
def test_a_bad_seed_names_the_file(tmp_path: Path, name: str, text: str, says: str) -> None:
    seed = tmp_path / name
    seed.write_text(text, encoding="latin-1")
    line = one_line(serve(tmp_path, "--port", "0", "--seed", str(seed)))
    assert f"--seed {seed}:" in line
    assert says in line
    assert not (tmp_path / "var").exists()


def test_a_missing_seed(tmp_path: Path) -> None:
    assert "no such file" in one_line(serve(tmp_path, "--port", "0", "--seed", str(tmp_path / "nope.yaml")))


def test_a_db_that_is_a_directory(tmp_path: Path) -> None:
    line = one_line(serve(tmp_path, "--port", "0", db=tmp_path))
    assert f"--db {tmp_path}: is a directory" in line


def test_a_db_that_is_not_sqlite(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n")
    assert "is not a SQLite database" in one_line(serve(tmp_path, "--port", "0", db=notes))
    assert notes.read_text() == "my notes, not a database\n"  # untouched


def test_a_db_that_cannot_be_written(tmp_path: Path) -> None:
    # Under a regular file: no folder can be made there, whoever runs the test (root included).
    blocker = tmp_path / "file"
    blocker.write_text("")
    line = one_line(serve(tmp_path, "--port", "0", db=blocker / "sub" / "mock.db"))
    assert f"{blocker} is not a directory" in line
