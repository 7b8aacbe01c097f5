"""Every Feishu answer the mock gives is rendered here, and only here.

Anything that fails raises `FeishuAPIError(code)`; the status and msg come from the spec's one code
table (`feishu_hire_kit.spec.error_codes()`), the log id from the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response

from feishu_hire_kit.spec import error_codes
from mockserver import json_text

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TROUBLESHOOTER = "排查建议查看(Troubleshooting suggestions): https://open.feishu.cn/search?from=openapi&log_id={log_id}&code={code}"

# Codes the mock raises by name (all of them are in the spec's table; a typo fails at import).
SYSTEM_ERROR = 1002001
INVALID_PARAMETER = 1002002
CONCURRENT_CONFLICT = 1002619
RATE_LIMITED = 99991400
MISSING_TOKEN = 99991661
INVALID_TOKEN = 99991663
MALFORMED_TOKEN = 99991671
TOKEN_EXPIRED = 99991677
INVALID_CREDENTIALS = 10003
_missing = {
    c
    for c in (
        SYSTEM_ERROR,
        INVALID_PARAMETER,
        CONCURRENT_CONFLICT,
        RATE_LIMITED,
        MISSING_TOKEN,
        INVALID_TOKEN,
        MALFORMED_TOKEN,
        TOKEN_EXPIRED,
        INVALID_CREDENTIALS,
    )
    if c not in error_codes()
}
if _missing:
    raise RuntimeError(f"codes missing from spec/hire.yaml x-feishu-error-codes: {sorted(_missing)}")


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str
    value: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"field": self.field, "description": self.description}
        if self.value is not None:
            out["value"] = self.value
        return out


class FeishuAPIError(Exception):
    """A failed answer: its code (from the table), and what the envelope and headers add to it."""

    def __init__(
        self,
        code: int,
        msg: str | None = None,
        *,
        field_violations: list[FieldViolation] | None = None,
        headers: Mapping[str, str] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        entry = error_codes()[code]  # KeyError: a code the spec does not know is a bug here
        self.code = code
        self.status = entry.status
        self.msg = msg or entry.msg
        self.field_violations = field_violations or []
        self.headers = dict(headers or {})
        # A refusal answered with HTTP 200 (the token endpoint's) carries an empty `data`, as seen live.
        self.data = data if data is not None or entry.status != 200 else {}
        super().__init__(f"{code} {self.msg}")


def invalid_parameter(violations: list[FieldViolation]) -> FeishuAPIError:
    """1002002 naming the offending fields (msg names the first, as the docs' troubleshooting suggests)."""
    first = violations[0]
    return FeishuAPIError(
        INVALID_PARAMETER,
        f"{error_codes()[INVALID_PARAMETER].msg}: {first.field}: {first.description}",
        field_violations=violations,
    )


class FeishuResponse(Response):
    """A Flask response that remembers the Feishu code it carries, for the journal."""

    feishu_code: int | None = None


def _json(payload: Mapping[str, Any], status: int, code: int | None) -> FeishuResponse:
    response = FeishuResponse(
        json_text.encode(payload),
        status=status,
        content_type=JSON_CONTENT_TYPE,
    )
    response.feishu_code = code
    return response


def success(data: Mapping[str, Any] | None = None, **top_level: Any) -> FeishuResponse:
    """`{"code": 0, "msg": "ok", "data": ...}`; the token endpoint puts its fields at the top level."""
    payload: dict[str, Any] = {"code": 0, "msg": "ok"}
    if data is not None:
        payload["data"] = dict(data)
    payload.update(top_level)
    return _json(payload, 200, 0)


def error_response(error: FeishuAPIError, log_id: str) -> FeishuResponse:
    payload: dict[str, Any] = {"code": error.code, "msg": error.msg}
    if error.data is not None:
        payload["data"] = error.data
    detail: dict[str, Any] = {
        "log_id": log_id,
        "troubleshooter": TROUBLESHOOTER.format(log_id=log_id, code=error.code),
    }
    if error.field_violations:
        detail["field_violations"] = [v.to_json() for v in error.field_violations]
    payload["error"] = detail
    response = _json(payload, error.status, error.code)
    response.headers.update(error.headers)
    return response


def page_not_found(json_404: bool) -> FeishuResponse:
    """Feishu's answer to an unknown path or method: plain text, unless the server is told otherwise."""
    if json_404:
        return _json({"code": 404, "msg": "404 page not found"}, 404, 404)
    response = FeishuResponse("404 page not found", status=404, content_type="text/plain; charset=utf-8")
    response.feishu_code = None
    return response


def shutting_down() -> FeishuResponse:
    """The answer to a request that arrives while the server stops: no Feishu code says this, so it is
    a plain 503, as a proxy in front of a stopped server answers."""
    response = FeishuResponse(
        "503 service unavailable: the mock server is shutting down",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response.feishu_code = None
    return response


def control_error(message: str, status: int) -> Response:
    """Answers of the /mock-api/ control plane (not Feishu's surface, so not its envelope)."""
    return Response(json_text.encode({"error": message}), status=status, content_type=JSON_CONTENT_TYPE)
