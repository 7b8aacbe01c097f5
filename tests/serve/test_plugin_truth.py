"""The pytest plugin tells the truth: its fixtures' credentials are the seed's, and each fixture says
what it gives in `pytest --fixtures`."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_credentials_come_from_the_configured_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest
        from mockserver import MockConfig

        SEED = {"tenants": [{"tenant_key": "acme", "apps": [{"app_id": "cli_acme", "app_secret": "acme-s"}]}]}

        @pytest.fixture
        def feishu_mock_config(tmp_path):
            return MockConfig(db_path=tmp_path / "m.db", seed=SEED)

        def _token(client, mock):
            r = client.post("/open-apis/auth/v3/tenant_access_token/internal",
                            json={"app_id": mock.app_id, "app_secret": mock.app_secret})
            return r.json()["code"]

        def test_in_process(feishu_mock):
            assert (feishu_mock.app_id, feishu_mock.app_secret) == ("cli_acme", "acme-s")
            with feishu_mock.client() as c:
                assert _token(c, feishu_mock) == 0

        def test_server(feishu_mock_server):
            assert (feishu_mock_server.app_id, feishu_mock_server.app_secret) == ("cli_acme", "acme-s")
            with httpx.Client(base_url=feishu_mock_server.base_url) as c:
                assert _token(c, feishu_mock_server) == 0

        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)


def test_fixtures_have_docstrings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--fixtures")
    text = result.stdout.str()
    for name in ("feishu_mock", "feishu_mock_server", "feishu_mock_config"):
        block = text.split(f"\n{name} ", 1)[1].split("\n\n", 1)[0] if f"\n{name} " in text else ""
        assert block, f"{name} is not listed"
        assert "no docstring available" not in block, block
