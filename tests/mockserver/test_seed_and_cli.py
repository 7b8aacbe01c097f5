"""Seeds (built-in, JSON, YAML), the `serve` subcommand's options, and the pytest fixtures."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import httpx
import pytest

from mockserver import MockConfig, create_app
from mockserver.cli import register
from mockserver.control import MockControl
from mockserver.seed import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    OTHER_APP_ID,
    OTHER_APP_SECRET,
    SeedError,
    credentials,
    load_seed,
    with_credentials,
)
from tests.mockserver.helpers import bearer, body

pytest_plugins = ["pytester"]

YAML_SEED = """
tenants:
  - tenant_key: acme
    apps:
      - {app_id: cli_acme, app_secret: acme-secret}
    users:
      - {open_id: ou_a, union_id: on_a, user_id: u_a, name: A}
    websites:
      - {website_id: "101"}
    talents:
      - {talent_id: "201"}
    jobs:
      - {job_id: "301", recruiter_id: u_a}
"""


def test_default_seed_has_the_docs_ids_and_two_tenants() -> None:
    seed = load_seed()
    assert credentials(seed) == [
        ("sandbox", DEFAULT_APP_ID, DEFAULT_APP_SECRET),
        ("sandbox-other", OTHER_APP_ID, OTHER_APP_SECRET),
    ]
    sandbox = seed["tenants"][0]
    open_ids = {u["open_id"] for u in sandbox["users"]}
    assert {
        "ou_e6139117c300506837def50545420c6a",
        "ou_808dad5b8fb21416b4ff242a5c616016",
        "ou_efk39117c300506837def50545420c6a",
    } <= open_ids
    assert "on_94a1ee5551019f18cd73d9f111898cf2" in {u["union_id"] for u in sandbox["users"]}
    assert all(u["user_id"] for u in sandbox["users"])
    assert [w["website_id"] for w in sandbox["websites"]] == ["1618209327096"]
    assert "7043758982146345223" in [t["talent_id"] for t in sandbox["talents"]]
    assert [j["job_id"] for j in sandbox["jobs"]] == ["7096318853365369132"]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_seed_file_json_or_yaml(tmp_path: Path, suffix: str) -> None:
    import yaml

    path = tmp_path / f"seed{suffix}"
    data = yaml.safe_load(YAML_SEED)
    path.write_text(YAML_SEED if suffix == ".yaml" else json.dumps(data), encoding="utf-8")
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", seed=path))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://m") as c:
        headers = bearer(c, "cli_acme", "acme-secret")
        r = c.post(
            "/open-apis/hire/v1/jobs/301/managers/batch_update?user_id_type=user_id",
            json={"update_option_list": [3], "hiring_manager_id_list": ["u_a"]},
            headers=headers,
        )
        assert body(r)["data"]["job_manager"] == {
            "id": "301",
            "recruiter_id": "u_a",
            "hiring_manager_id_list": ["u_a"],
            "assistant_id_list": [],
        }
        assert (
            body(
                c.post(
                    "/open-apis/hire/v1/websites/101/site_users", json={"external_id": "e"}, headers=headers
                )
            )["code"]
            == 0
        )
        # Only what the seed names exists: the default apps do not.
        r = c.post(
            "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": DEFAULT_APP_ID, "app_secret": DEFAULT_APP_SECRET},
        )
        assert body(r)["code"] == 10003


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({}, "'tenants' is a required property"),
        ({"tenants": [{"apps": []}]}, "tenants/0/apps"),
        (
            {"tenants": [{"apps": [{"app_id": "a", "app_secret": "s"}], "users": [{"open_id": "o"}]}]},
            "union_id",
        ),
        (
            {
                "tenants": [
                    {
                        "apps": [{"app_id": "a", "app_secret": "s"}],
                        "jobs": [{"job_id": "1", "assistant_id_list": ["x"]}],
                    }
                ]
            },
            "['x']",
        ),
    ],
)
def test_bad_seeds_say_what_is_wrong(seed: dict[str, object], message: str) -> None:
    with pytest.raises(SeedError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_seed(seed)


def test_with_credentials_replaces_the_first_app() -> None:
    seed = with_credentials(load_seed(), "cli_x", "y")
    assert credentials(seed)[0] == ("sandbox", "cli_x", "y")
    assert credentials(load_seed())[0][1] == DEFAULT_APP_ID  # the default is not changed


def test_serve_options() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    options = "--host 0.0.0.0 --port 9000 --db x.db --seed s.yaml --app-id a --app-secret b --no-rate-limits"
    args = parser.parse_args(
        ["serve", *options.split(), *["--rate-limit-scale", "2.5", "--admin-token", "t", "--threads", "4"]]
    )
    assert (args.host, args.port, args.db, args.seed) == ("0.0.0.0", 9000, Path("x.db"), Path("s.yaml"))
    assert (args.app_id, args.app_secret, args.no_rate_limits, args.rate_limit_scale) == ("a", "b", True, 2.5)
    assert (args.admin_token, args.threads) == ("t", 4)
    defaults = parser.parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.no_rate_limits, defaults.seed) == (
        "127.0.0.1",
        8080,
        False,
        None,
    )


def test_serve_refuses_half_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    from mockserver.cli import main

    assert main(["--port", "0", "--app-id", "only"]) == 2
    assert "go together" in capsys.readouterr().err


def test_rate_limit_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate_limit_scale"):
        MockConfig(rate_limit_scale=0)


def test_fixtures_give_fresh_seeded_state_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        BODY = {"external_id": "e"}
        PATH = "/open-apis/hire/v1/websites/1618209327096/site_users"

        def headers(c, mock):
            r = c.post("/open-apis/auth/v3/tenant_access_token/internal",
                       json={"app_id": mock.app_id, "app_secret": mock.app_secret})
            return {"Authorization": "Bearer " + r.json()["tenant_access_token"]}

        def _write_then_check(c, mock):
            assert mock.control.state()["tenants"]["sandbox"]["site_users"] == []
            assert c.post(PATH, json=BODY, headers=headers(c, mock)).json()["code"] == 0
            assert len(mock.control.state()["tenants"]["sandbox"]["site_users"]) == 1

        def test_in_process_1(feishu_mock):
            with feishu_mock.client() as c:
                _write_then_check(c, feishu_mock)

        def test_in_process_2(feishu_mock):
            with httpx.Client(transport=feishu_mock.transport, base_url=feishu_mock.base_url) as c:
                _write_then_check(c, feishu_mock)

        def test_server_1(feishu_mock_server):
            assert feishu_mock_server.base_url.startswith("http://127.0.0.1:")
            with httpx.Client(base_url=feishu_mock_server.base_url) as c:
                _write_then_check(c, feishu_mock_server)

        def test_server_2(feishu_mock_server):
            with httpx.Client(base_url=feishu_mock_server.base_url) as c:
                _write_then_check(c, feishu_mock_server)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)


def test_mock_control_connect_owns_its_client(tmp_path: Path) -> None:
    # MockControl over a plain base URL (what a test of a separately started server does).
    from mockserver.server import WaitressServer

    server = WaitressServer(create_app(MockConfig(db_path=tmp_path / "m.db"))).start()
    try:
        with MockControl.connect(server.base_url) as control:
            control.inject_fault("create_website_site_user", code=1002001)
            assert control.faults()[0]["code"] == 1002001
        assert control.client.is_closed
    finally:
        server.stop()


def test_feishu_hire_cli_has_serve() -> None:
    from feishu_hire_kit.cli import build_parser

    args = build_parser().parse_args(["serve", "--port", "0", "--no-rate-limits"])
    assert (args.port, args.no_rate_limits, args.host) == (0, True, "127.0.0.1")


def test_serve_workers_need_a_database_file(capsys: pytest.CaptureFixture[str]) -> None:
    from mockserver.cli import main

    assert main(["--port", "0", "--db", ":memory:", "--workers", "2"]) == 2
    assert "needs a database file" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        main(["--port", "0", "--workers", "0"])


@pytest.mark.parametrize(
    ("db", "workers"), [("m.db", 4), ("postgresql://feishu@127.0.0.1:1/sandbox", 5), ("postgres://h/d", 5)]
)
def test_serve_starts_a_worker_per_core_and_one_more_on_postgresql(
    db: str, workers: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without --workers: the cores on SQLite, one more on PostgreSQL (whose round trips leave a core
    idle); --workers wins either way. Nothing is connected to: the options are only built."""
    from mockserver.cli import _build, add_arguments

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("mockserver.cli.cores", lambda: 4)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    *_, built, _ = _build(parser.parse_args(["--port", "0", "--db", db]))
    assert built == workers
    *_, chosen, _ = _build(parser.parse_args(["--port", "0", "--db", db, "--workers", "2"]))
    assert chosen == 2


def test_the_workers_get_the_config_serve_built(tmp_path: Path) -> None:
    """What `serve` hands to uvicorn's workers (as JSON) is the config it built, seed loaded."""
    from mockserver.clock import Clock
    from mockserver.server import config_from_json, config_to_json

    seed = with_credentials(load_seed(None), "cli_x", "x-secret")
    config = MockConfig(
        db_path=tmp_path / "m.db",
        seed=seed,
        rate_limits=False,
        rate_limit_scale=2.5,
        admin_token="adm",
        shared_state=True,
        json_404=True,
        max_body_bytes=1000,
    )
    again = config_from_json(config_to_json(config))
    assert again.db_path == str(tmp_path / "m.db")
    assert again.seed == seed
    assert (again.rate_limits, again.rate_limit_scale, again.admin_token) == (False, 2.5, "adm")
    assert (again.shared_state, again.json_404, again.max_body_bytes) == (True, True, 1000)
    with pytest.raises(ValueError, match="real time"):
        config_to_json(MockConfig(db_path=tmp_path / "m.db", clock=Clock(start=1.0)))
