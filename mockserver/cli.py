"""`feishu-hire serve`: the mock on waitress (or uWSGI with `--workers N`), with an embedded default
database and seed."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from mockserver.app import create_app
from mockserver.config import MockConfig, default_db_path
from mockserver.runtime import Runtime
from mockserver.seed import SeedError, credentials, load_seed, with_credentials
from mockserver.server import CONFIG_ENV, WaitressServer, base_url, bind_socket, config_to_json, exec_uwsgi
from mockserver.storage import POSTGRES_SCHEMES

WAITRESS_THREADS = 8
# Per uWSGI worker: processes, not threads, give the concurrency (threads in one process queue on the
# GIL); uWSGI's router holds the connections, so one thread per worker does not limit the clients.
WORKER_THREADS = 1
# The module each uWSGI worker imports after the fork.
UWSGI_APP = "mockserver.uwsgi_app:app"


def _serve(args: argparse.Namespace) -> int:
    if (args.app_id is None) != (args.app_secret is None):
        print("feishu-hire serve: --app-id and --app-secret go together", file=sys.stderr)
        return 2
    try:
        seed = load_seed(args.seed)
    except (OSError, SeedError) as exc:
        print(f"feishu-hire serve: {exc}", file=sys.stderr)
        return 2
    if args.app_id is not None:
        seed = with_credentials(seed, args.app_id, args.app_secret)
    if args.workers < 1:
        print("feishu-hire serve: --workers must be >= 1", file=sys.stderr)
        return 2
    workers = args.workers
    threads = args.threads or (WORKER_THREADS if workers > 1 else WAITRESS_THREADS)
    if workers > 1 and str(args.db) == ":memory:":
        print("feishu-hire serve: --workers needs a database file (--db), not :memory:", file=sys.stderr)
        return 2
    config = MockConfig(
        db_path=args.db,
        seed=seed,
        rate_limits=not args.no_rate_limits,
        rate_limit_scale=args.rate_limit_scale,
        admin_token=args.admin_token,
        shared_state=workers > 1,
        redis_url=args.redis,
    )
    if workers == 1:
        server = WaitressServer(create_app(config), host=args.host, port=args.port, threads=threads)
        _announce(server.base_url, config, seed, "waitress")
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
            server.serve_forever()
        return 0
    # Seed and start fresh once, here, before the workers fork; each worker then opens its own app.
    runtime = Runtime.start(config)
    if runtime.store.path is not None:  # a database server's state belongs to every host serving it
        runtime.forget_shared_state()
    runtime.close()
    sock = bind_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    _announce(base_url(host, port), config, seed, f"uWSGI, {workers} workers x {threads} threads")
    exec_uwsgi(UWSGI_APP, sock, workers, threads, {CONFIG_ENV: config_to_json(config)})


def _announce(url: str, config: MockConfig, seed: dict[str, Any], how: str) -> None:
    print(f"Feishu Hire mock serving on {url}  (database {config.db_path}; {how})")
    print(f"  base URL: {url}")
    for tenant, app_id, app_secret in credentials(seed):
        print(f"  app_id={app_id} app_secret={app_secret}  (tenant {tenant})")
    print(f"  control plane: {url}/mock-api/state", flush=True)


def _database(text: str) -> str | Path:
    """A PostgreSQL URL as given (a Path would fold its "//"), anything else a SQLite file."""
    return text if text.startswith(POSTGRES_SCHEMES) else Path(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the Feishu Hire mock server (waitress)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
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
    p.add_argument("--app-secret", default=None)
    p.add_argument("--no-rate-limits", action="store_true", help="switch the spec's rate limits off")
    p.add_argument("--rate-limit-scale", type=float, default=1.0, help="multiply every limit's count")
    p.add_argument("--admin-token", default=None, help="token for /mock-api/ calls from off loopback")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes; 1 serves on waitress, more on uWSGI sharing the database and the"
        " mock's state (clock, faults, journal, rate counters); for throughput, the cores + 1",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help=f"threads per process (default: {WAITRESS_THREADS} on waitress,"
        f" {WORKER_THREADS} per uWSGI worker)",
    )
    p.set_defaults(func=_serve)


def main(argv: list[str] | None = None) -> int:
    """`python -m mockserver [serve options]`: the same as `feishu-hire serve`."""
    parser = argparse.ArgumentParser(prog="python -m mockserver")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code
