"""User code under `mypy --strict`: the client and the generated functions are typed (py.typed), and
given connect()'s client the functions return the success model, so no cast is needed; a misused
field is caught. One mypy run checks both files, from a folder outside the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

USER_CODE = """
import asyncio

import httpx
from feishu_hire_client.api.hire import batch_update_job_manager, create_website_site_user
from feishu_hire_client.models import (
    BatchUpdateJobManagerRequestBody,
    BatchUpdateJobManagerResponse,
    CreateWebsiteSiteUserRequestBody,
    CreateWebsiteSiteUserResponse,
)
from feishu_hire_client.types import Response

from feishu_hire_kit.client import FeishuClient, connect
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, JOB_ID, WEBSITE_ID


def create(base_url: str) -> str:
    client = connect(DEFAULT_APP_ID, DEFAULT_APP_SECRET, base_url).with_headers({"X-Request-Id": "abc"})
    body = CreateWebsiteSiteUserRequestBody(external_id="e-1", name="Ada")
    answer: CreateWebsiteSiteUserResponse = create_website_site_user.sync(
        WEBSITE_ID, client=client, body=body
    )
    detailed: Response[CreateWebsiteSiteUserResponse] = create_website_site_user.sync_detailed(
        WEBSITE_ID, client=client.with_timeout(httpx.Timeout(5.0)), body=body
    )
    parsed: CreateWebsiteSiteUserResponse = detailed.parsed
    return answer.msg + parsed.msg


async def update(client: FeishuClient, body: BatchUpdateJobManagerRequestBody) -> int:
    answer: BatchUpdateJobManagerResponse = await batch_update_job_manager.asyncio(
        JOB_ID, client=client, body=body
    )
    return answer.code


print(asyncio.run, create, update)
"""

MISUSE = """
from feishu_hire_client.api.hire import create_website_site_user
from feishu_hire_client.models import CreateWebsiteSiteUserRequestBody

from feishu_hire_kit.client import connect


def create() -> str:
    client = connect("cli_x", "secret")
    body = CreateWebsiteSiteUserRequestBody(external_id="e-1")
    answer = create_website_site_user.sync("1618209327096", client=client, body=body)
    return answer.mesage
"""


@pytest.mark.timeout(180)
def test_user_code_type_checks_without_casts_and_a_misused_field_does_not(tmp_path: Path) -> None:
    (tmp_path / "user_code.py").write_text(USER_CODE, encoding="utf-8")
    (tmp_path / "misuse.py").write_text(MISUSE, encoding="utf-8")

    cache = str(tmp_path / ".mypy_cache")
    command = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--hide-error-context"]
    command += ["--config-file", "", "--cache-dir", cache, "user_code.py", "misuse.py"]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=170,
    )

    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line for line in errors if not line.startswith("misuse.py:")] == [], result.stdout
    assert any('"CreateWebsiteSiteUserResponse" has no attribute "mesage"' in line for line in errors), (
        result.stdout
    )
