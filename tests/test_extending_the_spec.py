"""Extending the kit takes the spec, its doc and one behaviour module, then `feishu-hire generate`:

A copy of the repository gets a GET operation on a new resource kind (widget, with its own not-found
code) and an optional `remark` on the site-user request and answer. Nothing else is edited: the copy's
client is regenerated, its mock serves the new operation (the default seed holds the docs' example
widget), and the contract suite's generic properties hold for it (valid calls answered and conforming,
each broken rule refused naming its field, unknown ids answered with the kind's not-found code, rate
limits, and schemathesis' checks of every answer); the `remark` round-trips through the regenerated
client and the store. PUT and DELETE operations are served by the same path.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("feishu_hire_kit", "mockserver", "contract_tests", "generated", "spec", "pyproject.toml")
WIDGETS = "/open-apis/hire/v1/widgets/{widget_id}"
WIDGET_NOT_FOUND = 1002500
OUTPUT = ("system-out", "system-err", "properties")

BEHAVIOUR = '''"""Widgets: read one, replace its fields, delete it."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from mockserver.operations.invocation import Invocation
from mockserver.storage import Store


def get_widget(store: Store, invocation: Invocation) -> dict[str, Any]:
    with store.transaction(write=False) as queries:
        widget = queries.resource(invocation.resource_kind, invocation.tenant_key, invocation.resource_id)
    if widget is None:
        raise invocation.not_found()
    return {"widget": {**widget, "widget_id": invocation.resource_id}}


def update_widget(store: Store, invocation: Invocation) -> dict[str, Any]:
    kind, tenant_key, widget_id = invocation.resource_kind, invocation.tenant_key, invocation.resource_id
    with store.statement() as queries:
        widget = queries.update_resource(kind, tenant_key, widget_id, invocation.body)
    if widget is None:
        raise invocation.not_found()
    return {"widget": {**widget, "widget_id": widget_id}}


def delete_widget(store: Store, invocation: Invocation) -> dict[str, Any]:
    kind, tenant_key, widget_id = invocation.resource_kind, invocation.tenant_key, invocation.resource_id
    with store.transaction() as queries:
        if not queries.delete_resource(kind, tenant_key, widget_id):
            raise invocation.not_found()
    return {}
'''

DOC = """# 获取小部件 Get a widget

GET /open-apis/hire/v1/widgets/:widget_id (a made-up operation: the kit's test of extending the spec)
"""


def _operation(operation_id: str, summary: str, response: str, body: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": ["hire"],
        "operationId": operation_id,
        "summary": summary,
        "x-feishu-rate-limits": ["5/second"],
        "x-feishu-resource": {"parameter": "widget_id", "kind": "widget", "not_found_code": WIDGET_NOT_FOUND},
        "x-feishu-errors": [
            1002001,
            1002002,
            WIDGET_NOT_FOUND,
            99991400,
            99991661,
            99991663,
            99991671,
            99991677,
        ],
        "parameters": [
            {
                "name": "widget_id",
                "in": "path",
                "required": True,
                "description": "The widget's id.",
                "schema": {"type": "string", "minLength": 1, "example": "9001"},
                "example": "9001",
            },
            {"$ref": "#/components/parameters/user_id_type"},
        ],
        "responses": {
            "200": {
                "description": "The widget.",
                "headers": {"X-Tt-Logid": {"$ref": "#/components/headers/X-Tt-Logid"}},
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{response}"}}},
            },
            "400": {"$ref": "#/components/responses/BadRequest"},
            "429": {"$ref": "#/components/responses/TooManyRequests"},
            "500": {"$ref": "#/components/responses/InternalServerError"},
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{body}"},
                    "examples": {"doc": {"value": {"name": "A widget"}}},
                }
            },
        }
    return op


def _envelope(title: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": title,
        "allOf": [
            {"$ref": "#/components/schemas/Envelope"},
            {"type": "object", "properties": {"data": data}},
        ],
    }


def extend(spec: dict[str, Any]) -> None:
    """The spec maintainer's edit: a new kind with three operations, and `remark` on site users."""
    spec["x-feishu-error-codes"][str(WIDGET_NOT_FOUND)] = {
        "status": 400,
        "family": "not_found",
        "msg": "widget does not exist",
        "description": "The widget does not exist.",
    }
    spec["paths"][WIDGETS] = {
        "get": _operation("get_widget", "Get a widget", "GetWidgetResponse"),
        "put": _operation(
            "update_widget", "Replace a widget's fields", "GetWidgetResponse", "UpdateWidgetBody"
        ),
        "delete": _operation("delete_widget", "Delete a widget", "DeleteWidgetResponse"),
    }
    schemas = spec["components"]["schemas"]
    schemas["Widget"] = {
        "title": "Widget",
        "type": "object",
        "properties": {"widget_id": {"type": "string"}, "name": {"type": "string"}},
    }
    schemas["UpdateWidgetBody"] = {
        "title": "UpdateWidgetBody",
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}},
    }
    schemas["GetWidgetResponse"] = _envelope(
        "GetWidgetResponse",
        {"type": "object", "properties": {"widget": {"$ref": "#/components/schemas/Widget"}}},
    )
    schemas["DeleteWidgetResponse"] = _envelope("DeleteWidgetResponse", {"type": "object"})
    remark = {"type": "string", "maxLength": 200, "description": "A remark."}
    schemas["CreateWebsiteSiteUserRequestBody"]["properties"]["remark"] = remark
    schemas["WebsiteUser"]["properties"]["remark"] = remark


def _run(copy: Path, *argv: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{copy}{os.pathsep}{copy / 'generated'}",
        "CI": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    run = functools.partial(subprocess.run, cwd=copy, env=env, capture_output=True, text=True, check=False)
    done: subprocess.CompletedProcess[str] = run([sys.executable, *argv], timeout=timeout)
    return done


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy, extended and regenerated."""
    copy = tmp_path_factory.mktemp("kit")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*_cache")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        else:
            shutil.copy2(source, copy / name)
    spec_file = copy / "spec" / "hire.yaml"
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    extend(spec)
    spec_file.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (copy / "spec" / "docs" / "get_widget.md").write_text(DOC, encoding="utf-8")
    (copy / "mockserver" / "operations" / "widgets.py").write_text(BEHAVIOUR, encoding="utf-8")
    generated = _run(copy, "-m", "feishu_hire_kit.cli", "generate", timeout=300)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return copy


def _passed(report: Path) -> set[str]:
    """The names of the tests that passed in a junit XML report (no failure, error or skip inside)."""
    cases = ElementTree.parse(report).getroot().iter("testcase")
    return {case.get("name", "") for case in cases if len(case) == 0 or all(c.tag in OUTPUT for c in case)}


def test_the_new_operation_keeps_the_contract_suites_generic_properties(kit: Path) -> None:
    report = kit / "contract.xml"
    run = _run(
        kit,
        "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "addopts=", f"--junitxml={report}",
        "contract_tests/test_client_mock.py", "contract_tests/test_schemathesis.py",
        "-k", "get_widget or widgets",
        timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    passed = _passed(report)
    for target in ("inprocess", "http"):
        for test in (
            "test_valid_calls_succeed_and_round_trip",  # answers conform (the hook), envelope, log id
            "test_each_broken_rule_is_refused_naming_its_field",  # validation from the spec
            "test_unknown_resources_get_their_not_found_code",  # the kind's own code
            "test_the_spec_rate_limits_hold_and_reset",
        ):
            assert f"{test}[{target}-get_widget]" in passed, (test, target, sorted(passed))
    # schemathesis over HTTP: positive and negative data, auth, every answer checked against the spec.
    assert any(
        name.startswith("test_mock_passes_schemathesis[GET /open-apis/hire/v1/widgets/") for name in passed
    )


CLIENT_SCRIPT = """
import json
import httpx
from feishu_hire_client.api.hire import create_website_site_user, delete_widget, get_widget, update_widget
from feishu_hire_client.models import CreateWebsiteSiteUserRequestBody, UpdateWidgetBody
from feishu_hire_kit.client import NotFoundError, connect
from mockserver import MockConfig, create_app
from mockserver.control import MockControl
from mockserver.seed import DEFAULT_APP_ID, DEFAULT_APP_SECRET, WEBSITE_ID

app = create_app(MockConfig(db_path=":memory:"))
transport = httpx.WSGITransport(app=app)
client = connect(DEFAULT_APP_ID, DEFAULT_APP_SECRET, "http://kit.mock", transport=transport, retries=None)
out = {}
body = CreateWebsiteSiteUserRequestBody.from_dict({"external_id": "e-1", "remark": "kept"})
out["created"] = create_website_site_user.sync(WEBSITE_ID, client=client, body=body).to_dict()
again = CreateWebsiteSiteUserRequestBody.from_dict({"external_id": "e-1", "remark": "other"})
out["repeated"] = create_website_site_user.sync(WEBSITE_ID, client=client, body=again).to_dict()
control = MockControl(httpx.Client(transport=transport, base_url="http://kit.mock"))
out["stored"] = control.state()["tenants"]["sandbox"]["site_users"]
out["widget"] = get_widget.sync("9001", client=client).to_dict()
renamed = UpdateWidgetBody.from_dict({"name": "renamed"})
out["updated"] = update_widget.sync("9001", client=client, body=renamed).to_dict()
out["after_update"] = get_widget.sync("9001", client=client).to_dict()
out["deleted"] = delete_widget.sync("9001", client=client).to_dict()
try:
    get_widget.sync("9001", client=client)
except NotFoundError as error:
    out["after_delete"] = error.code
print(json.dumps(out))
"""


def test_a_new_field_and_new_methods_round_trip_through_the_regenerated_client(kit: Path) -> None:
    run = _run(kit, "-c", CLIENT_SCRIPT, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # `remark` is stored and answered with no code change; a repeat answers the stored user unchanged.
    assert out["created"]["data"]["site_user"]["remark"] == "kept"
    assert out["repeated"]["data"]["site_user"] == out["created"]["data"]["site_user"]
    assert [(u["external_id"], u["remark"]) for u in out["stored"]] == [("e-1", "kept")]
    # GET, PUT and DELETE on the new kind; its seed is the docs' example id.
    assert out["widget"]["data"] == {"widget": {"widget_id": "9001"}}
    assert out["updated"]["data"] == {"widget": {"widget_id": "9001", "name": "renamed"}}
    assert out["after_update"]["data"] == out["updated"]["data"]
    assert out["deleted"]["code"] == 0
    assert out["after_delete"] == WIDGET_NOT_FOUND
