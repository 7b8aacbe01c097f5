"""One request of an operation of the spec, and the two ways the suite sends it: through the generated
client's typed function (valid calls) or as raw JSON through the same configured httpx client (calls the
typed models cannot express: wrong types, out-of-enum values).

The generated module, model classes and parameter enums are found from the spec (tag, operationId,
schema titles), so a regenerated client is picked up with no change here."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import quote

import httpx
from feishu_hire_client import models
from feishu_hire_client.types import Response

from feishu_hire_kit.spec import Operation, operations, resolve


@dataclass(frozen=True)
class TargetIds:
    """What exists on a target: resource ids per kind (`x-feishu-resource.kind`) and its users, each as
    {user_id_type: id}. Strategies only name these, so calls are valid on that target."""

    resources: Mapping[str, Sequence[str]]
    users: Sequence[Mapping[str, str]]

    def user_ids(self, id_type: str) -> list[str]:
        return [user[id_type] for user in self.users if id_type in user]

    def id_types(self, allowed: Sequence[str]) -> list[str]:
        return [t for t in allowed if self.user_ids(t)]


@dataclass(frozen=True)
class Call:
    """A request of `operation_id`: path parameters, query parameters and a JSON body."""

    operation_id: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None

    @property
    def operation(self) -> Operation:
        return operations()[self.operation_id]

    @property
    def url(self) -> str:
        path = self.operation.path
        for name, value in self.path_params.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path


def api_module(operation_id: str) -> ModuleType:
    """The generated module of an operation (openapi-python-client lays them out as api/<tag>/<id>.py)."""
    tag = operations()[operation_id].raw["tags"][0]
    return importlib.import_module(f"feishu_hire_client.api.{tag}.{operation_id}")


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = resolve(operation.raw.get("parameters", []))
    return params


def request_model(operation_id: str) -> Any:
    """The generated model class of the operation's request body (named by the schema's title)."""
    schema = resolve(operations()[operation_id].raw["requestBody"]["content"]["application/json"]["schema"])
    return getattr(models, schema["title"])


def _typed_query_value(param: dict[str, Any], value: Any) -> Any:
    # Enum parameters are generated as Enum classes named by the schema's title.
    title = param["schema"].get("title")
    if title and "enum" in param["schema"]:
        return getattr(models, title)(value)
    return value


def client_call(client: Any, call: Call) -> Response[Any]:
    """Sends a schema-valid call through the generated client's typed `sync_detailed` function."""
    kwargs: dict[str, Any] = dict(call.path_params)
    for param in _parameters(call.operation):
        if param["in"] == "query" and param["name"] in call.query:
            kwargs[param["name"]] = _typed_query_value(param, call.query[param["name"]])
    if "requestBody" in call.operation.raw:
        kwargs["body"] = request_model(call.operation_id).from_dict(call.body)
    response: Response[Any] = api_module(call.operation_id).sync_detailed(client=client, **kwargs)
    return response


def raw_call(http: httpx.Client, call: Call) -> httpx.Response:
    """Sends any call, schema-valid or not, as JSON through a configured httpx client."""
    return http.request(call.operation.method, call.url, params=call.query, json=call.body)


def example_call(operation_id: str) -> Call:
    """The call the spec's own examples make: parameter examples and the request body example."""
    op = operations()[operation_id]
    path = {p["name"]: str(p["example"]) for p in _parameters(op) if p["in"] == "path"}
    examples = (
        op.raw.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})
    )
    body = next(iter(examples.values()))["value"] if examples else None
    return Call(operation_id, path, {}, body)
