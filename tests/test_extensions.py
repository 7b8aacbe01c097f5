"""A spec whose `x-feishu-*` extensions name something it does not have is refused at load, with a
message naming the operation, the extension and the missing name (never a 500 at request time)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from feishu_hire_kit import spec
from feishu_hire_kit.extensions import SpecError, check_extensions

Doc = dict[str, Any]
SITE_USERS = "/open-apis/hire/v1/websites/{website_id}/site_users"
JOBS = "/open-apis/hire/v1/jobs/{job_id}/managers/batch_update"


def _op(doc: Doc, path: str) -> Doc:
    op: Doc = doc["paths"][path]["post"]
    return op


def _schema(doc: Doc, name: str) -> Doc:
    schema: Doc = doc["components"]["schemas"][name]
    return schema


def rename_idempotency_field(doc: Doc) -> None:
    # What a spec maintainer did: the field renamed, the extension left naming the old one.
    body = _schema(doc, "CreateWebsiteSiteUserRequestBody")
    body["properties"]["outer_id"] = body["properties"].pop("external_id")
    body["required"] = ["outer_id"]


def drop_mobile_country_code(doc: Doc) -> None:
    del _schema(doc, "CreateWebsiteSiteUserRequestBody")["properties"]["mobile_country_code"]


def option_names_missing_field(doc: Doc) -> None:
    _op(doc, JOBS)["x-feishu-required-by-option"]["fields"]["2"] = "assistant_ids"


def option_field_missing(doc: Doc) -> None:
    _op(doc, JOBS)["x-feishu-required-by-option"]["option_field"] = "update_options"


def user_id_request_field_missing(doc: Doc) -> None:
    _op(doc, JOBS)["x-feishu-user-id-fields"]["request"].append("operator_id")


def user_id_response_field_missing(doc: Doc) -> None:
    del _schema(doc, "JobManager")["properties"]["recruiter_id"]


def user_id_type_parameter_missing(doc: Doc) -> None:
    _op(doc, JOBS)["x-feishu-user-id-fields"]["user_id_type_parameter"] = "id_type"


def resource_parameter_missing(doc: Doc) -> None:
    _op(doc, SITE_USERS)["x-feishu-resource"]["parameter"] = "site_id"


def not_found_code_missing(doc: Doc) -> None:
    del doc["x-feishu-error-codes"]["1002010"]
    _op(doc, SITE_USERS)["x-feishu-errors"].remove(1002010)


def error_code_missing(doc: Doc) -> None:
    _op(doc, SITE_USERS)["x-feishu-errors"].append(1002999)


def unknown_user_code_missing(doc: Doc) -> None:
    _op(doc, JOBS)["x-feishu-user-id-fields"]["unknown_user_code"] = 1002998


def kind_with_two_parameters(doc: Doc) -> None:
    _op(doc, JOBS)["x-feishu-resource"]["kind"] = "website"


CASES: list[tuple[Callable[[Doc], None], str]] = [
    (
        rename_idempotency_field,
        "create_website_site_user: x-feishu-idempotency-key names field 'external_id'",
    ),
    (drop_mobile_country_code, "x-feishu-required-together names field 'mobile_country_code'"),
    (option_names_missing_field, "x-feishu-required-by-option names field 'assistant_ids'"),
    (option_field_missing, "x-feishu-required-by-option option_field names field 'update_options'"),
    (user_id_request_field_missing, "x-feishu-user-id-fields request names field 'operator_id'"),
    (user_id_response_field_missing, "x-feishu-user-id-fields response names field 'recruiter_id'"),
    (user_id_type_parameter_missing, "user_id_type_parameter names parameter 'id_type'"),
    (resource_parameter_missing, "x-feishu-resource names parameter 'site_id'"),
    (not_found_code_missing, "x-feishu-resource not_found_code names code 1002010"),
    (error_code_missing, "x-feishu-errors names code 1002999"),
    (unknown_user_code_missing, "x-feishu-user-id-fields unknown_user_code names code 1002998"),
    (kind_with_two_parameters, "x-feishu-resource gives kind 'website' parameter"),
]


def test_the_spec_itself_loads() -> None:
    check_extensions(spec.load_spec())


@pytest.mark.parametrize(("change", "message"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_an_extension_naming_what_does_not_exist_is_refused_at_load(
    tmp_path: Path, change: Callable[[Doc], None], message: str
) -> None:
    doc = copy.deepcopy(spec.load_spec())
    change(doc)
    path = tmp_path / "hire.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        spec.read_spec(path)
    assert message in str(refused.value)
