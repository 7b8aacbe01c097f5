from http import HTTPStatus
from typing import Any, overload

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RaisingClient
from ...models.tenant_access_token_request import TenantAccessTokenRequest
from ...models.tenant_access_token_response import TenantAccessTokenResponse
from ...types import Response


def _get_kwargs(
    *,
    body: TenantAccessTokenRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/open-apis/auth/v3/tenant_access_token/internal",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> TenantAccessTokenResponse | None:
    if response.status_code == 200:
        response_200 = TenantAccessTokenResponse.from_dict(response.json())

        return response_200

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[TenantAccessTokenResponse | None]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


@overload
def sync_detailed(
    *,
    client: RaisingClient,
    body: TenantAccessTokenRequest,
) -> Response[TenantAccessTokenResponse]: ...


@overload
def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> Response[TenantAccessTokenResponse | None]: ...


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> Response[Any]:
    """Get a tenant_access_token of a self-built app

     Issues a `tenant_access_token` (lifetime at most 2 h, `expire` in seconds). Asked again with more
    than 30 minutes left, it answers the same token; with less, a new one, and both stay valid until
    they expire. Takes no token itself; the body is read as JSON even without a Content-Type.
    Wrong credentials are answered with HTTP 200, a non-zero `code` and no token.

    Args:
        body (TenantAccessTokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[TenantAccessTokenResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


@overload
def sync(
    *,
    client: RaisingClient,
    body: TenantAccessTokenRequest,
) -> TenantAccessTokenResponse: ...


@overload
def sync(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> TenantAccessTokenResponse | None: ...


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> TenantAccessTokenResponse | None:
    """Get a tenant_access_token of a self-built app

     Issues a `tenant_access_token` (lifetime at most 2 h, `expire` in seconds). Asked again with more
    than 30 minutes left, it answers the same token; with less, a new one, and both stay valid until
    they expire. Takes no token itself; the body is read as JSON even without a Content-Type.
    Wrong credentials are answered with HTTP 200, a non-zero `code` and no token.

    Args:
        body (TenantAccessTokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        TenantAccessTokenResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


@overload
async def asyncio_detailed(
    *,
    client: RaisingClient,
    body: TenantAccessTokenRequest,
) -> Response[TenantAccessTokenResponse]: ...


@overload
async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> Response[TenantAccessTokenResponse | None]: ...


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> Response[Any]:
    """Get a tenant_access_token of a self-built app

     Issues a `tenant_access_token` (lifetime at most 2 h, `expire` in seconds). Asked again with more
    than 30 minutes left, it answers the same token; with less, a new one, and both stay valid until
    they expire. Takes no token itself; the body is read as JSON even without a Content-Type.
    Wrong credentials are answered with HTTP 200, a non-zero `code` and no token.

    Args:
        body (TenantAccessTokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[TenantAccessTokenResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


@overload
async def asyncio(
    *,
    client: RaisingClient,
    body: TenantAccessTokenRequest,
) -> TenantAccessTokenResponse: ...


@overload
async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> TenantAccessTokenResponse | None: ...


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: TenantAccessTokenRequest,
) -> TenantAccessTokenResponse | None:
    """Get a tenant_access_token of a self-built app

     Issues a `tenant_access_token` (lifetime at most 2 h, `expire` in seconds). Asked again with more
    than 30 minutes left, it answers the same token; with less, a new one, and both stay valid until
    they expire. Takes no token itself; the body is read as JSON even without a Content-Type.
    Wrong credentials are answered with HTTP 200, a non-zero `code` and no token.

    Args:
        body (TenantAccessTokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        TenantAccessTokenResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
