"""The spec is valid OpenAPI, its examples validate, and it states every fact of the three Feishu docs.

The docs (spec/docs/*.md, copied from Feishu's open platform) are parsed here, table by table, so a
field, type, required flag, example, enum, default, rate limit, permission or error code that the
spec forgets or gets wrong fails a test naming it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from feishu_hire_kit import spec

DOCS = spec.spec_path().parent / "docs"
OPERATION_IDS = ["create_website_site_user", "create_talent_external_info", "batch_update_job_manager"]
DOC_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "string[]": {"type": "array", "items": {"type": "string"}},
    "int[]": {"type": "array", "items": {"type": "integer"}},
}
RATE_UNITS = {"秒": "second", "分钟": "minute"}


@dataclass
class DocField:
    name: str
    type: str
    required: bool | None
    description: str
    example: Any = None
    enum: list[str] = field(default_factory=list)
    default: str | None = None


@dataclass
class Doc:
    path: str
    rate_limits: set[str]
    permissions: list[str]
    sections: dict[str, list[DocField]]
    examples: dict[str, Any]
    errors: list[tuple[int, int]]


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^#{2,3} (.+)$", text, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def _rows(body: str) -> list[list[str]]:
    """Table rows of a doc section; a row's description continues on the lines below it."""
    rows: list[list[str]] = []
    lines = body.strip().splitlines()
    for line in lines[2:] if len(lines) > 1 and lines[1].startswith("---") else []:
        if line.startswith("```"):
            break
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) >= 3 and re.fullmatch(r"[A-Za-z_\-]+", cells[0]):
            rows.append(cells)
        elif rows:
            rows[-1][-1] += "\n" + line
    return rows


def _field(cells: list[str], has_required: bool) -> DocField:
    name, type_ = cells[0], cells[1].replace("\\", "")
    required = (cells[2] == "是") if has_required else None
    description = cells[-1]
    example = None
    if m := re.search(r"\*\*示例值\*\*：(.+)", description):
        raw = m.group(1).strip()
        example = json.loads(raw) if raw[0] in '["' else raw
    enum = re.findall(r"^- (\w+)：", description, flags=re.M)
    default = m.group(1) if (m := re.search(r"\*\*默认值\*\*：`(\w+)`", description)) else None
    return DocField(name, type_, required, description, example, enum, default)


def parse_doc(path: Path) -> Doc:
    text = path.read_text(encoding="utf-8")
    sections = _sections(text)
    request = dict(
        r[:2] for r in (line.split(" | ", 1) for line in sections["请求"].splitlines()) if len(r) == 2
    )
    url = request["HTTP URL"].removeprefix("https://open.feishu.cn")
    limits = {
        f"{n}/{RATE_UNITS[unit]}" for n, unit in re.findall(r"(\d+) 次/(秒|分钟)", request["接口频率限制"])
    }
    permissions = re.findall(r"\(([a-z]+:[a-z_.:]+)\)", sections["请求"].split("字段权限要求")[0])
    fields = {
        "path": [_field(r, False) for r in _rows(sections["路径参数"])],
        "query": [_field(r, True) for r in _rows(sections.get("查询参数", ""))],
        "body": [_field(r, True) for r in _rows(sections["请求体"])],
        "response": [_field(r, False) for r in _rows(sections["响应体"])],
    }
    examples = {
        key: json.loads(re.search(r"```json\n(.*?)```", sections[title], flags=re.S).group(1))  # type: ignore[union-attr]
        for key, title in (("request", "请求体示例"), ("response", "响应体示例"))
    }
    errors = [
        (int(s), int(c)) for s, c in re.findall(r"^(\d{3}) \| (\d+) \|", sections["错误码"], flags=re.M)
    ]
    return Doc(re.sub(r":(\w+)", r"{\1}", url), limits, permissions, fields, examples, errors)


def _doc(operation_id: str) -> tuple[Doc, spec.Operation]:
    return parse_doc(DOCS / f"{operation_id}.md"), spec.operations()[operation_id]


def _body_schema(op: spec.Operation) -> dict[str, Any]:
    resolved: dict[str, Any] = spec.resolve(op.raw["requestBody"]["content"]["application/json"]["schema"])
    return resolved


def _response_item_schema(op: spec.Operation) -> dict[str, Any]:
    """The object under `data` of the 200 answer (e.g. WebsiteUser), merged out of allOf."""
    schema = spec.resolve(op.raw["responses"]["200"]["content"]["application/json"]["schema"])
    data = next(
        part["properties"]["data"] for part in schema["allOf"] if "data" in part.get("properties", {})
    )
    (item,) = data["properties"].values()
    return item  # type: ignore[no-any-return]


def test_spec_is_valid_openapi() -> None:
    validate(spec.load_spec())  # raises on any error


def test_every_operation_has_a_doc_and_vice_versa() -> None:
    documented = {p.stem for p in DOCS.glob("*.md")}
    hire_ops = {op_id for op_id, op in spec.operations().items() if op.path.startswith("/open-apis/hire/")}
    assert documented == hire_ops == set(OPERATION_IDS)


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_path_method_rate_limits_and_permissions(operation_id: str) -> None:
    doc, op = _doc(operation_id)
    assert (op.method, op.path) == ("POST", doc.path)
    assert set(op.rate_limits) == doc.rate_limits
    assert op.raw["x-feishu-permissions"] == doc.permissions
    assert op.raw["x-feishu-content-type"] == "application/json; charset=utf-8"
    assert op.requires_token


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_parameters_match_the_doc(operation_id: str) -> None:
    doc, op = _doc(operation_id)
    params = {p["name"]: p for p in spec.resolve(op.raw["parameters"])}
    documented = doc.sections["path"] + doc.sections["query"]
    assert set(params) == {f.name for f in documented}
    for f in documented:
        param = params[f.name]
        assert param["in"] == ("path" if f in doc.sections["path"] else "query")
        assert param.get("required", False) == (f.required is not False), f.name
        assert param["schema"]["type"] == DOC_TYPES[f.type]["type"], f.name
        assert param["example"] == f.example, f.name
        assert param["schema"].get("enum", []) == f.enum, f.name
        assert param["schema"].get("default") == f.default, f.name


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_request_body_fields_match_the_doc(operation_id: str) -> None:
    doc, op = _doc(operation_id)
    schema = _body_schema(op)
    assert set(schema["properties"]) == {f.name for f in doc.sections["body"]}
    assert set(schema["required"]) == {f.name for f in doc.sections["body"] if f.required}
    for f in doc.sections["body"]:
        prop = schema["properties"][f.name]
        assert prop["type"] == DOC_TYPES[f.type]["type"], f.name
        if "items" in DOC_TYPES[f.type]:
            assert prop["items"]["type"] == DOC_TYPES[f.type]["items"]["type"], f.name
        assert prop["example"] == f.example, f.name
    assert op.raw["requestBody"]["required"] is True


def test_update_option_list_values_and_meanings() -> None:
    doc, op = _doc("batch_update_job_manager")
    (options,) = [f for f in doc.sections["body"] if f.name == "update_option_list"]
    meanings = dict(re.findall(r"^- (\d)：(\S+)", options.description, flags=re.M))
    option = spec.load_spec()["components"]["schemas"]["UpdateOption"]
    assert option["enum"] == [int(k) for k in meanings]
    for value, meaning in meanings.items():
        assert option["x-enum-descriptions"][value].startswith(meaning)
    # Which field each value makes required, as the doc's field descriptions say.
    assert op.required_by_option is not None
    option_field, required = op.required_by_option
    assert option_field == "update_option_list"
    for value, field_name in required.items():
        (documented,) = [f for f in doc.sections["body"] if f.name == field_name]
        assert f"包含`{meanings[str(value)]}`时，该参数必填" in documented.description


def test_mobile_pairing_and_idempotency_key_are_stated() -> None:
    doc, op = _doc("create_website_site_user")
    by_name = {f.name: f for f in doc.sections["body"]}
    assert "国家码(mobile_country_code)字段必填" in by_name["mobile"].description
    assert "电话（mobile）字段必填" in by_name["mobile_country_code"].description
    assert op.required_together == [["mobile", "mobile_country_code"]]
    assert "幂等字段" in by_name["external_id"].description
    assert op.idempotency_key == "external_id"


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_response_fields_match_the_doc(operation_id: str) -> None:
    doc, op = _doc(operation_id)
    item = _response_item_schema(op)
    envelope = {"code", "msg", "data"}
    fields = [f for f in doc.sections["response"] if f.name not in envelope]
    wrapper, *members = fields  # e.g. site_user, then the WebsiteUser fields
    data = doc.examples["response"]["data"]
    assert list(data) == [wrapper.name]
    assert set(item["properties"]) == {f.name for f in members}
    for f in members:
        assert item["properties"][f.name]["type"] == DOC_TYPES[f.type]["type"], f.name


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_error_codes_match_the_doc(operation_id: str) -> None:
    doc, op = _doc(operation_id)
    table = spec.error_codes()
    for status, code in doc.errors:
        assert code in op.error_codes, code
        assert table[code].status == status, code
        assert str(status) in op.raw["responses"], (code, status)
    for code in op.error_codes:
        assert str(table[code].status) in op.raw["responses"], code
    # Platform answers every business call can get (feishu-platform.md).
    assert {99991400, 99991661, 99991663, 99991677} <= set(op.error_codes)


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_doc_examples_are_the_spec_examples(operation_id: str) -> None:
    doc, op = _doc(operation_id)
    request = op.raw["requestBody"]["content"]["application/json"]["examples"]["doc"]["value"]
    response = op.raw["responses"]["200"]["content"]["application/json"]["examples"]["doc"]["value"]
    assert request == doc.examples["request"]
    assert response == doc.examples["response"]


def _all_examples() -> list[tuple[str, str, Any]]:
    """(where, schema pointer, example value) for every media-type example of the spec."""
    found = []
    for op_id, op in spec.operations().items():
        body = op.raw.get("requestBody", {}).get("content", {}).get("application/json")
        media = [("request", body)] if body else []
        for status, declared in op.raw["responses"].items():
            answer = spec.lookup(declared["$ref"]) if "$ref" in declared else declared
            media.append((status, answer["content"]["application/json"]))
        for where, content in media:
            pointer = content["schema"]["$ref"].removeprefix("#")
            for name, example in content["examples"].items():
                found.append((f"{op_id} {where} {name}", pointer, spec.resolve(example)["value"]))
    return found


@pytest.mark.parametrize(("where", "pointer", "value"), _all_examples(), ids=lambda v: str(v)[:60])
def test_every_example_validates_against_its_schema(where: str, pointer: str, value: Any) -> None:
    errors = [e.message for e in spec.validator(pointer).iter_errors(value)]
    assert errors == [], where


def test_error_examples_use_codes_of_the_table_with_their_status() -> None:
    table = spec.error_codes()
    for op in spec.operations().values():
        for status, answer in op.raw["responses"].items():
            for example in spec.resolve(answer)["content"]["application/json"]["examples"].values():
                code = example["value"]["code"]
                if code != 0:
                    assert table[code].status == int(status), (op.operation_id, code)
                    assert code in op.error_codes


def test_schema_rejects_what_the_docs_forbid() -> None:
    """The schemas are not decorative: they refuse wrong types, enums and missing required fields."""
    site_user = spec.validator("/components/schemas/CreateWebsiteSiteUserRequestBody")
    assert not site_user.is_valid({"name": "张敏"})
    assert not site_user.is_valid({"external_id": 6960663240925956621})
    managers = spec.validator("/components/schemas/BatchUpdateJobManagerRequestBody")
    assert not managers.is_valid({"update_option_list": []})
    assert not managers.is_valid({"update_option_list": [4]})
    assert not managers.is_valid({"update_option_list": ["1"]})
    external = spec.validator("/components/schemas/CreateTalentExternalInfoRequestBody")
    assert not external.is_valid({"external_create_time": 1639992265035})
    assert not external.is_valid({"external_create_time": "yesterday"})
    assert external.is_valid({"external_create_time": "1639992265035"})


def test_rate_limit_answer_declares_its_headers() -> None:
    too_many = spec.load_spec()["components"]["responses"]["TooManyRequests"]
    assert set(too_many["headers"]) == {"X-Tt-Logid", "x-ogw-ratelimit-limit", "x-ogw-ratelimit-reset"}
    assert spec.error_codes()[99991400].status == 429


def test_every_answer_declares_the_log_id_header() -> None:
    for op in spec.operations().values():
        for status, answer in op.raw["responses"].items():
            assert "X-Tt-Logid" in spec.resolve(answer)["headers"], (op.operation_id, status)


def test_tenant_token_endpoint() -> None:
    op = spec.operations()["tenant_access_token_internal"]
    assert (op.method, op.path) == ("POST", "/open-apis/auth/v3/tenant_access_token/internal")
    assert not op.requires_token
    scheme = spec.load_spec()["components"]["securitySchemes"]["tenantAccessToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
