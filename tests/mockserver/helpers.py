"""Small helpers of the mock server's tests: paths, tokens and the docs' example calls."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, JOB_ID, TALENT_ID, WEBSITE_ID

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SITE_USERS = f"/open-apis/hire/v1/websites/{WEBSITE_ID}/site_users"
EXTERNAL_INFO = f"/open-apis/hire/v1/talents/{TALENT_ID}/external_info"
BATCH_UPDATE = f"/open-apis/hire/v1/jobs/{JOB_ID}/managers/batch_update"

# The users of the default seed, by the ids the docs use.
ZHANG = {"open_id": "ou_e6139117c300506837def50545420c6a", "user_id": "1612209227096"}
WANG = {"open_id": "ou_808dad5b8fb21416b4ff242a5c616016", "union_id": "on_94a1ee5551019f18cd73d9f111898cf2"}
LI = {"open_id": "ou_efk39117c300506837def50545420c6a"}
HAN = {"open_id": "ou_3c9a7b1d2e4f5a6b7c8d9e0f1a2b3c4d", "user_id": "1612209227099"}

DOC_SITE_USER = {
    "name": "张敏",
    "email": "zhangmin@163.com",
    "external_id": "6960663240925956621",
    "mobile": "182900291190",
    "mobile_country_code": "CN_1",
}
DOC_BATCH_UPDATE = {
    "recruiter_id": "ou_e6139117c300506837def50545420c6a",
    "assistant_id_list": ["ou_808dad5b8fb21416b4ff242a5c616016"],
    "hiring_manager_id_list": ["ou_808dad5b8fb21416b4ff242a5c616016"],
    "update_option_list": [1],
    "creator_id": "ou_efk39117c300506837def50545420c6a",
}


def token(client: httpx.Client, app_id: str = DEFAULT_APP_ID, app_secret: str = DEFAULT_APP_SECRET) -> str:
    answer = client.post(TOKEN_PATH, json={"app_id": app_id, "app_secret": app_secret}).json()
    assert answer["code"] == 0, answer
    value: str = answer["tenant_access_token"]
    return value


def bearer(
    client: httpx.Client, app_id: str = DEFAULT_APP_ID, app_secret: str = DEFAULT_APP_SECRET
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(client, app_id, app_secret)}"}


def body(response: httpx.Response) -> dict[str, Any]:
    answer: dict[str, Any] = response.json()
    return answer


ServeProcess = tuple[subprocess.Popen[str], str]


def start_server(command: Sequence[str], db: Path, *args: str) -> ServeProcess:
    """`command --port 0 --db DB ARGS` in a session of its own (so uvicorn's workers stop with
    their master's group); answers the process and its base URL once the server has printed it."""
    process = subprocess.Popen(
        [*command, "--port", "0", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip().startswith("base URL:"):
            return process, line.split("base URL:")[1].strip()
    process.kill()
    raise AssertionError("the server printed no base URL")
