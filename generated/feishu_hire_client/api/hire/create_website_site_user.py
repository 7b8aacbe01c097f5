from http import HTTPStatus
from typing import Any, overload
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RaisingClient
from ...models.create_website_site_user_request_body import (
    CreateWebsiteSiteUserRequestBody,
)
from ...models.create_website_site_user_response import CreateWebsiteSiteUserResponse
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    website_id: str,
    *,
    body: CreateWebsiteSiteUserRequestBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/open-apis/hire/v1/websites/{website_id}/site_users".format(
            website_id=quote(str(website_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreateWebsiteSiteUserResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = CreateWebsiteSiteUserResponse.from_dict(response.json())

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
) -> Response[CreateWebsiteSiteUserResponse | ErrorResponse | None]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


@overload
def sync_detailed(
    website_id: str,
    *,
    client: RaisingClient,
    body: CreateWebsiteSiteUserRequestBody,
) -> Response[CreateWebsiteSiteUserResponse]: ...


@overload
def sync_detailed(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> Response[CreateWebsiteSiteUserResponse | ErrorResponse | None]: ...


def sync_detailed(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> Response[Any]:
    """新建招聘官网用户 Create a careers-site user

     Registers a user of the given careers site (招聘官网). Afterwards, site deliveries can be created
    for the user. Idempotent on `external_id`: one `external_id` creates exactly one site user per
    website; when a site user with that `external_id` already exists, the call answers the existing
    user, unchanged. App type: self-built. Permission: 更新官网信息 (hire:site). Rate limit 10/s.

    Args:
        website_id (str):  Example: 1618209327096.
        body (CreateWebsiteSiteUserRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateWebsiteSiteUserResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        website_id=website_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


@overload
def sync(
    website_id: str,
    *,
    client: RaisingClient,
    body: CreateWebsiteSiteUserRequestBody,
) -> CreateWebsiteSiteUserResponse: ...


@overload
def sync(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> CreateWebsiteSiteUserResponse | ErrorResponse | None: ...


def sync(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> CreateWebsiteSiteUserResponse | ErrorResponse | None:
    """新建招聘官网用户 Create a careers-site user

     Registers a user of the given careers site (招聘官网). Afterwards, site deliveries can be created
    for the user. Idempotent on `external_id`: one `external_id` creates exactly one site user per
    website; when a site user with that `external_id` already exists, the call answers the existing
    user, unchanged. App type: self-built. Permission: 更新官网信息 (hire:site). Rate limit 10/s.

    Args:
        website_id (str):  Example: 1618209327096.
        body (CreateWebsiteSiteUserRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateWebsiteSiteUserResponse | ErrorResponse
    """

    return sync_detailed(
        website_id=website_id,
        client=client,
        body=body,
    ).parsed


@overload
async def asyncio_detailed(
    website_id: str,
    *,
    client: RaisingClient,
    body: CreateWebsiteSiteUserRequestBody,
) -> Response[CreateWebsiteSiteUserResponse]: ...


@overload
async def asyncio_detailed(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> Response[CreateWebsiteSiteUserResponse | ErrorResponse | None]: ...


async def asyncio_detailed(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> Response[Any]:
    """新建招聘官网用户 Create a careers-site user

     Registers a user of the given careers site (招聘官网). Afterwards, site deliveries can be created
    for the user. Idempotent on `external_id`: one `external_id` creates exactly one site user per
    website; when a site user with that `external_id` already exists, the call answers the existing
    user, unchanged. App type: self-built. Permission: 更新官网信息 (hire:site). Rate limit 10/s.

    Args:
        website_id (str):  Example: 1618209327096.
        body (CreateWebsiteSiteUserRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateWebsiteSiteUserResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        website_id=website_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


@overload
async def asyncio(
    website_id: str,
    *,
    client: RaisingClient,
    body: CreateWebsiteSiteUserRequestBody,
) -> CreateWebsiteSiteUserResponse: ...


@overload
async def asyncio(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> CreateWebsiteSiteUserResponse | ErrorResponse | None: ...


async def asyncio(
    website_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateWebsiteSiteUserRequestBody,
) -> CreateWebsiteSiteUserResponse | ErrorResponse | None:
    """新建招聘官网用户 Create a careers-site user

     Registers a user of the given careers site (招聘官网). Afterwards, site deliveries can be created
    for the user. Idempotent on `external_id`: one `external_id` creates exactly one site user per
    website; when a site user with that `external_id` already exists, the call answers the existing
    user, unchanged. App type: self-built. Permission: 更新官网信息 (hire:site). Rate limit 10/s.

    Args:
        website_id (str):  Example: 1618209327096.
        body (CreateWebsiteSiteUserRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateWebsiteSiteUserResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            website_id=website_id,
            client=client,
            body=body,
        )
    ).parsed
