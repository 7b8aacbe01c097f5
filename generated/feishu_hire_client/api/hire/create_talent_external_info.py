from http import HTTPStatus
from typing import Any, overload
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RaisingClient
from ...models.create_talent_external_info_request_body import (
    CreateTalentExternalInfoRequestBody,
)
from ...models.create_talent_external_info_response import (
    CreateTalentExternalInfoResponse,
)
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    talent_id: str,
    *,
    body: CreateTalentExternalInfoRequestBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/open-apis/hire/v1/talents/{talent_id}/external_info".format(
            talent_id=quote(str(talent_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreateTalentExternalInfoResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = CreateTalentExternalInfoResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreateTalentExternalInfoResponse | ErrorResponse | None]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


@overload
def sync_detailed(
    talent_id: str,
    *,
    client: RaisingClient,
    body: CreateTalentExternalInfoRequestBody,
) -> Response[CreateTalentExternalInfoResponse]: ...


@overload
def sync_detailed(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> Response[CreateTalentExternalInfoResponse | ErrorResponse | None]: ...


def sync_detailed(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> Response[Any]:
    """创建人才外部信息 Mark a talent as external

     Marks an existing talent as an external talent and records when it was created in the external
    system. App type: self-built. Permission: 更新人才信息 (hire:talent). Rate limit 1000/min and 50/s.

    Args:
        talent_id (str):  Example: 7043758982146345223.
        body (CreateTalentExternalInfoRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateTalentExternalInfoResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        talent_id=talent_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


@overload
def sync(
    talent_id: str,
    *,
    client: RaisingClient,
    body: CreateTalentExternalInfoRequestBody,
) -> CreateTalentExternalInfoResponse: ...


@overload
def sync(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> CreateTalentExternalInfoResponse | ErrorResponse | None: ...


def sync(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> CreateTalentExternalInfoResponse | ErrorResponse | None:
    """创建人才外部信息 Mark a talent as external

     Marks an existing talent as an external talent and records when it was created in the external
    system. App type: self-built. Permission: 更新人才信息 (hire:talent). Rate limit 1000/min and 50/s.

    Args:
        talent_id (str):  Example: 7043758982146345223.
        body (CreateTalentExternalInfoRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateTalentExternalInfoResponse | ErrorResponse
    """

    return sync_detailed(
        talent_id=talent_id,
        client=client,
        body=body,
    ).parsed


@overload
async def asyncio_detailed(
    talent_id: str,
    *,
    client: RaisingClient,
    body: CreateTalentExternalInfoRequestBody,
) -> Response[CreateTalentExternalInfoResponse]: ...


@overload
async def asyncio_detailed(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> Response[CreateTalentExternalInfoResponse | ErrorResponse | None]: ...


async def asyncio_detailed(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> Response[Any]:
    """创建人才外部信息 Mark a talent as external

     Marks an existing talent as an external talent and records when it was created in the external
    system. App type: self-built. Permission: 更新人才信息 (hire:talent). Rate limit 1000/min and 50/s.

    Args:
        talent_id (str):  Example: 7043758982146345223.
        body (CreateTalentExternalInfoRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateTalentExternalInfoResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        talent_id=talent_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


@overload
async def asyncio(
    talent_id: str,
    *,
    client: RaisingClient,
    body: CreateTalentExternalInfoRequestBody,
) -> CreateTalentExternalInfoResponse: ...


@overload
async def asyncio(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> CreateTalentExternalInfoResponse | ErrorResponse | None: ...


async def asyncio(
    talent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTalentExternalInfoRequestBody,
) -> CreateTalentExternalInfoResponse | ErrorResponse | None:
    """创建人才外部信息 Mark a talent as external

     Marks an existing talent as an external talent and records when it was created in the external
    system. App type: self-built. Permission: 更新人才信息 (hire:talent). Rate limit 1000/min and 50/s.

    Args:
        talent_id (str):  Example: 7043758982146345223.
        body (CreateTalentExternalInfoRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateTalentExternalInfoResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            talent_id=talent_id,
            client=client,
            body=body,
        )
    ).parsed
