from http import HTTPStatus
from typing import Any, overload
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RaisingClient
from ...models.batch_update_job_manager_request_body import (
    BatchUpdateJobManagerRequestBody,
)
from ...models.batch_update_job_manager_response import BatchUpdateJobManagerResponse
from ...models.error_response import ErrorResponse
from ...models.user_id_type import UserIdType
from ...types import UNSET, Response, Unset


def _get_kwargs(
    job_id: str,
    *,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    json_user_id_type: str | Unset = UNSET
    if not isinstance(user_id_type, Unset):
        json_user_id_type = user_id_type.value

    params["user_id_type"] = json_user_id_type

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/open-apis/hire/v1/jobs/{job_id}/managers/batch_update".format(
            job_id=quote(str(job_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BatchUpdateJobManagerResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = BatchUpdateJobManagerResponse.from_dict(response.json())

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
) -> Response[BatchUpdateJobManagerResponse | ErrorResponse | None]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


@overload
def sync_detailed(
    job_id: str,
    *,
    client: RaisingClient,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> Response[BatchUpdateJobManagerResponse]: ...


@overload
def sync_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> Response[BatchUpdateJobManagerResponse | ErrorResponse | None]: ...


def sync_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> Response[Any]:
    """更新职位相关人员 Set a job's recruiter, assistants and hiring managers

     Updates the people of a job: recruiter (招聘负责人), assistants (招聘协助人) and hiring managers
    (用人经理). Parameters are checked and updated per the roles chosen in `update_option_list`: when
    a chosen role's field is missing or empty, the call fails and nothing is updated. Roles not chosen
    stay as they are. Two concurrent updates of one job: one of them answers 1002619.
    App type: self-built. Permission: 更新职位信息 (hire:job); answering ids as `user_id` also needs
    获取用户 user ID (contact:user.employee_id:readonly). Rate limit 1000/min and 50/s.

    Args:
        job_id (str):  Example: 7096318853365369132.
        user_id_type (UserIdType | Unset): open_id (per app), union_id (per developer), user_id
            (per tenant). Default open_id.
        body (BatchUpdateJobManagerRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchUpdateJobManagerResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        body=body,
        user_id_type=user_id_type,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


@overload
def sync(
    job_id: str,
    *,
    client: RaisingClient,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> BatchUpdateJobManagerResponse: ...


@overload
def sync(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> BatchUpdateJobManagerResponse | ErrorResponse | None: ...


def sync(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> BatchUpdateJobManagerResponse | ErrorResponse | None:
    """更新职位相关人员 Set a job's recruiter, assistants and hiring managers

     Updates the people of a job: recruiter (招聘负责人), assistants (招聘协助人) and hiring managers
    (用人经理). Parameters are checked and updated per the roles chosen in `update_option_list`: when
    a chosen role's field is missing or empty, the call fails and nothing is updated. Roles not chosen
    stay as they are. Two concurrent updates of one job: one of them answers 1002619.
    App type: self-built. Permission: 更新职位信息 (hire:job); answering ids as `user_id` also needs
    获取用户 user ID (contact:user.employee_id:readonly). Rate limit 1000/min and 50/s.

    Args:
        job_id (str):  Example: 7096318853365369132.
        user_id_type (UserIdType | Unset): open_id (per app), union_id (per developer), user_id
            (per tenant). Default open_id.
        body (BatchUpdateJobManagerRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchUpdateJobManagerResponse | ErrorResponse
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
        body=body,
        user_id_type=user_id_type,
    ).parsed


@overload
async def asyncio_detailed(
    job_id: str,
    *,
    client: RaisingClient,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> Response[BatchUpdateJobManagerResponse]: ...


@overload
async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> Response[BatchUpdateJobManagerResponse | ErrorResponse | None]: ...


async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> Response[Any]:
    """更新职位相关人员 Set a job's recruiter, assistants and hiring managers

     Updates the people of a job: recruiter (招聘负责人), assistants (招聘协助人) and hiring managers
    (用人经理). Parameters are checked and updated per the roles chosen in `update_option_list`: when
    a chosen role's field is missing or empty, the call fails and nothing is updated. Roles not chosen
    stay as they are. Two concurrent updates of one job: one of them answers 1002619.
    App type: self-built. Permission: 更新职位信息 (hire:job); answering ids as `user_id` also needs
    获取用户 user ID (contact:user.employee_id:readonly). Rate limit 1000/min and 50/s.

    Args:
        job_id (str):  Example: 7096318853365369132.
        user_id_type (UserIdType | Unset): open_id (per app), union_id (per developer), user_id
            (per tenant). Default open_id.
        body (BatchUpdateJobManagerRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchUpdateJobManagerResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        body=body,
        user_id_type=user_id_type,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


@overload
async def asyncio(
    job_id: str,
    *,
    client: RaisingClient,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> BatchUpdateJobManagerResponse: ...


@overload
async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> BatchUpdateJobManagerResponse | ErrorResponse | None: ...


async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: BatchUpdateJobManagerRequestBody,
    user_id_type: UserIdType | Unset = UNSET,
) -> BatchUpdateJobManagerResponse | ErrorResponse | None:
    """更新职位相关人员 Set a job's recruiter, assistants and hiring managers

     Updates the people of a job: recruiter (招聘负责人), assistants (招聘协助人) and hiring managers
    (用人经理). Parameters are checked and updated per the roles chosen in `update_option_list`: when
    a chosen role's field is missing or empty, the call fails and nothing is updated. Roles not chosen
    stay as they are. Two concurrent updates of one job: one of them answers 1002619.
    App type: self-built. Permission: 更新职位信息 (hire:job); answering ids as `user_id` also needs
    获取用户 user ID (contact:user.employee_id:readonly). Rate limit 1000/min and 50/s.

    Args:
        job_id (str):  Example: 7096318853365369132.
        user_id_type (UserIdType | Unset): open_id (per app), union_id (per developer), user_id
            (per tenant). Default open_id.
        body (BatchUpdateJobManagerRequestBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchUpdateJobManagerResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
            body=body,
            user_id_type=user_id_type,
        )
    ).parsed
