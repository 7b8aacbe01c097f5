"""`feishu-hire serve` (and `python -m mockserver`): the mock on uvicorn with one worker process per core,
or on waitress in one process, with an embedded default database and seed.

Every option is checked, the port tried and the database file looked at before anything is created; a
mistake is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any, NoReturn

import yaml

from mockserver.config import MockConfig, default_db_path
from mockserver.proxies import parse_networks
from mockserver.runtime import Runtime
from mockserver.seed import DEFAULT_APP_SECRET, SeedError, credentials, load_seed, with_credentials
from mockserver.server import (
    CLIENT_TIMEOUT,
    CONFIG_ENV,
    H11,
    HTTPTOOLS,
    WAITRESS_THREADS,
    WaitressServer,
    base_url,
    config_to_json,
    serve_uvicorn,
    uvicorn_available,
)
from mockserver.storage import is_postgres

UVICORN = "uvicorn"
WAITRESS = "waitress"
SQLITE_MAGIC = b"SQLite format 3\x00"


class UsageError(Exception):
    """A mistake in what the person asked for: printed as one line, exit code 2."""


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: 0 to 65535 (0 picks a free one)")
    return value


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container's cpuset narrows), not
    all the machine has."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_workers(*, postgres: bool = False) -> int:
    """The worker processes `serve` starts when `--workers` is not given: one per core, and one more on
    a PostgreSQL store (`postgres`), whose round trips leave a worker's core idle (benchmarks/README.md,
    "How many workers")."""
    return cores() + 1 if postgres else cores()


def _check_port(host: str, port: int) -> int:
    """The port to serve on (a free one for 0), after trying to bind it: a port in use or a host this
    machine does not have is a usage error before anything is created."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: {exc.strerror}") from None
    family = infos[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if port and exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                raise UsageError(f"port {port} on {host} is in use (pick another with --port)") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound: int = sock.getsockname()[1]
    return bound


def _load_seed(path: Path | None) -> dict[str, Any]:
    try:
        return load_seed(path)
    except FileNotFoundError:
        raise UsageError(f"--seed {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--seed {path}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--seed {path}: not valid JSON: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1} column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or exc
        raise UsageError(f"--seed {path}: not valid YAML{at}: {problem}") from None
    except SeedError as exc:
        raise UsageError(f"--seed {path}: {exc}") from None


def _check_db(db: Path) -> None:
    """The database can be opened or created here, and is SQLite if it exists."""
    if str(db) == ":memory:":
        return
    if db.is_dir():
        raise UsageError(f"--db {db}: is a directory, not a database file")
    if db.exists():
        try:
            with db.open("rb") as f:
                head = f.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise UsageError(f"--db {db}: cannot be read: {exc.strerror}") from None
        if head and head != SQLITE_MAGIC:
            raise UsageError(f"--db {db}: is not a SQLite database")
        if not os.access(db, os.W_OK):
            raise UsageError(f"--db {db}: is not writable")
        return
    folder = db.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"--db {db}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--db {db}: {folder} is not writable")


def _seed_database(config: MockConfig, shared: bool) -> None:
    """Creates and seeds the database once, here, before any worker starts (and starts fresh: no clock
    offset, faults or journal from a previous run). A PostgreSQL database is shared by every host
    serving it: a host starting never forgets what the others agree on."""
    try:
        if config.db_path != ":memory:" and not is_postgres(config.db_path):
            Path(config.db_path).parent.mkdir(parents=True, exist_ok=True)
        runtime = Runtime.start(config)
    except (OSError, sqlite3.Error) as exc:
        raise UsageError(f"--db {config.db_path}: {exc}") from None
    if shared and runtime.store.path is not None:
        runtime.forget_shared_state()
    runtime.close()


def _database(text: str) -> str | Path:
    """A PostgreSQL URL as given (a Path would fold its "//"), anything else a SQLite file."""
    return text if is_postgres(text) else Path(text)


def _server(args: argparse.Namespace) -> str:
    if args.server == WAITRESS:
        return WAITRESS
    if uvicorn_available():
        return UVICORN
    if args.server == UVICORN:
        raise UsageError("--server uvicorn: uvicorn is not installed here (pip install uvicorn uvloop)")
    print(
        "feishu-hire serve: uvicorn (the fast server) is not installed on this machine; serving on"
        " waitress, one process, a fraction of the speed",
        file=sys.stderr,
    )
    return WAITRESS


def _build(args: argparse.Namespace) -> tuple[MockConfig, dict[str, Any], str, int, int]:
    if (args.app_id is None) != (args.app_secret is None):
        raise UsageError("--app-id and --app-secret go together")
    server = _server(args)
    workers = args.workers or (default_workers(postgres=is_postgres(args.db)) if server == UVICORN else 1)
    if server == WAITRESS and workers > 1:
        raise UsageError("--workers: waitress serves in one process; several need uvicorn (--server uvicorn)")
    if args.http is not None and server == WAITRESS:
        raise UsageError("--http chooses uvicorn's HTTP parser; waitress has its own")
    if args.threads is not None and server == UVICORN:
        raise UsageError("--threads: uvicorn runs one request at a time per worker; use --workers")
    if workers > 1 and str(args.db) == ":memory:":
        raise UsageError("--workers > 1 needs a database file (--db), not :memory:")
    port = _check_port(args.host, args.port)
    seed = _load_seed(args.seed)
    if args.app_id is not None:
        seed = with_credentials(seed, args.app_id, args.app_secret)
    if isinstance(args.db, Path):
        _check_db(args.db)
    db_path: str | Path = (
        args.db if str(args.db) == ":memory:" or isinstance(args.db, str) else args.db.resolve()
    )
    config = MockConfig(
        db_path=db_path,
        seed=seed,
        rate_limits=not args.no_rate_limits,
        rate_limit_scale=args.rate_limit_scale,
        admin_token=args.admin_token,
        shared_state=workers > 1,
        redis_url=args.redis,
        **_sandbox_options(args),
    )
    return config, seed, server, workers if server == UVICORN else 1, port


def _serve(args: argparse.Namespace) -> int:
    try:
        config, seed, server, workers, port = _build(args)
        if server == WAITRESS:
            _seed_database(config, shared=False)
            from mockserver.app import create_app

            waitress = WaitressServer(
                create_app(config),
                host=args.host,
                port=port,
                threads=args.threads or WAITRESS_THREADS,
                client_timeout=args.client_timeout,
            )
            _announce(args, waitress.port, config, seed, f"waitress, 1 process x {args.threads or 8} threads")
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
                waitress.serve_forever()
            return 0
        if config.db_path != ":memory:":
            _seed_database(config, shared=workers > 1)
        env = {CONFIG_ENV: config_to_json(config)}
    except UsageError as exc:
        print(f"feishu-hire serve: {exc}", file=sys.stderr)
        return 2
    from mockserver.http_protocols import protocol  # imports uvicorn, which serves from here on

    http, parser = protocol(args.http)
    how = f"uvicorn on {parser}, {workers} worker process{'es' if workers > 1 else ''}"
    if parser != (args.http or HTTPTOOLS):
        how += "; httptools is not installed here, so HTTP is parsed in Python (slower)"
    serve_uvicorn(
        args.host,
        port,
        workers,
        client_timeout=args.client_timeout,
        env=env,
        on_ready=lambda: _announce(args, port, config, seed, how),
        http=http,
    )
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


def usable_url(host: str, port: int) -> str:
    """An address a person can open: a wildcard host (0.0.0.0, ::) listens everywhere, so this
    machine's loopback reaches it."""
    if host in ("0.0.0.0", ""):
        return base_url("127.0.0.1", port)
    if host == "::":
        return base_url("::1", port)
    return base_url(host, port)


def _announce(
    args: argparse.Namespace, port: int, config: MockConfig, seed: dict[str, Any], how: str
) -> None:
    url = usable_url(args.host, port)
    db = (
        config.db_path
        if config.db_path == ":memory:" or is_postgres(config.db_path)
        else Path(config.db_path).resolve()
    )
    lines = [f"Feishu Hire mock serving on {url}  ({how})"]
    lines.append(f"  base URL: {url}")
    if args.host in ("0.0.0.0", "::", ""):
        lines.append(f"  listening on every interface ({args.host or '0.0.0.0'}), port {port}")
    lines.append(f"  database: {db}")
    for tenant, app_id, app_secret in credentials(seed):
        lines.append(f"  app_id={app_id} app_secret={app_secret}  (tenant {tenant})")
    admin = "set (send it as Authorization: Bearer)" if config.admin_token else "not set: loopback only"
    lines.append(f"  control plane: {url}/mock-api/state  (admin token {admin})")
    lines.append(f"  slow clients are closed after {args.client_timeout:g} s (--client-timeout)")
    print("\n".join(lines), flush=True)
    public = any(secret == DEFAULT_APP_SECRET for _, _, secret in credentials(seed))
    if not _is_loopback(args.host) and public:
        print(
            f"feishu-hire serve: warning: serving off loopback ({args.host}) with the default public"
            " credentials: anyone who can reach this port can call it; pass --app-id/--app-secret"
            " or --seed, and --admin-token",
            file=sys.stderr,
            flush=True,
        )


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """A mistaken option is one line (argparse's default adds the whole usage above it)."""

    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]


def add_arguments(p: argparse.ArgumentParser) -> None:
    _one_line_errors(p)
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s; 0.0.0.0 for all)"
    )
    p.add_argument(
        "--port", type=_port, default=8080, help="0 to 65535 (default: %(default)s; 0 picks a free one)"
    )
    p.add_argument(
        "--db",
        type=_database,
        default=default_db_path(),
        help="SQLite file, or a PostgreSQL URL postgresql://USER@HOST:PORT/DBNAME that several hosts"
        " share (default: %(default)s)",
    )
    p.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="keep the rate-limit windows in this Redis (redis://HOST:PORT/N), shared by every host",
    )
    p.add_argument("--seed", type=Path, default=None, help="seed file, JSON or YAML (default: built-in)")
    p.add_argument("--app-id", default=None, help="replace the first app's id (with --app-secret)")
    p.add_argument("--app-secret", default=None, help="replace the first app's secret (with --app-id)")
    p.add_argument("--no-rate-limits", action="store_true", help="switch the spec's rate limits off")
    p.add_argument(
        "--rate-limit-scale", type=_positive(float), default=1.0, help="multiply every limit's count (> 0)"
    )
    p.add_argument("--admin-token", default=None, help="token for /mock-api/ calls from off loopback")
    p.add_argument(
        "--server",
        choices=[UVICORN, WAITRESS],
        default=None,
        help="uvicorn (default where installed: uvloop, one process per core) or waitress"
        " (pure Python, one process, threads; the fallback); both keep header names' casing",
    )
    p.add_argument(
        "--http",
        choices=[HTTPTOOLS, H11],
        default=None,
        help="how uvicorn parses HTTP: httptools (in C; the default where installed) or h11 (pure Python)",
    )
    p.add_argument(
        "--workers",
        type=_positive(int),
        default=None,
        help="uvicorn worker processes sharing the database and the mock's state (clock, faults,"
        f" journal, rate counters); default: the cores (here {default_workers()}), one more on PostgreSQL",
    )
    p.add_argument(
        "--threads",
        type=_positive(int),
        default=None,
        help=f"waitress threads (default: {WAITRESS_THREADS})",
    )
    p.add_argument(
        "--client-timeout",
        type=_positive(float),
        default=CLIENT_TIMEOUT,
        help="seconds a client may take to send its headers, and again its body, before it is cut off"
        " (default: %(default)g)",
    )
    _add_sandbox_options(p)
    p.set_defaults(func=_serve)


# -- hosted sandboxes (mockserver.access, mockserver.proxies): the console helper's options


def _add_sandbox_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hosted",
        action="store_true",
        help="a sandbox served to others (behind a reverse proxy): trust no loopback caller; the control"
        " plane and the console /mock-ui/ need the admin token, a tenant's token or an app's credentials",
    )
    p.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        type=_proxy,
        metavar="ADDR",
        help="a reverse proxy (address or network, repeatable) whose X-Forwarded-For/-Proto/-Host are"
        " believed; nobody else's are",
    )


def _proxy(text: str) -> str:
    try:
        parse_networks([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _sandbox_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"hosted": args.hosted, "trusted_proxies": tuple(args.trusted_proxy)}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the Feishu Hire mock server (uvicorn, one process per core; waitress as the fallback)",
        description=__doc__,
    )
    add_arguments(p)


def main(argv: list[str] | None = None) -> int:
    """`python -m mockserver [serve options]`: the same as `feishu-hire serve`."""
    parser = argparse.ArgumentParser(
        prog="python -m mockserver", description="The Feishu Hire mock server (as `feishu-hire serve`)."
    )
    add_arguments(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    code: int = args.func(args)
    return code
