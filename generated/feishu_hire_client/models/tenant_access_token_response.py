from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tenant_access_token_response_data import TenantAccessTokenResponseData


T = TypeVar("T", bound="TenantAccessTokenResponse")


@_attrs_define
class TenantAccessTokenResponse:
    """The token and its lifetime sit at the top level, not under `data`."""

    code: int
    """ 错误码, 0 is success, anything else a failure. """
    msg: str
    """ 错误描述, the error's description (`ok` on success). """
    tenant_access_token: str | Unset = UNSET
    """ The tenant access token (absent when refused); sent back as `Authorization: Bearer t-…`. """
    expire: int | Unset = UNSET
    """ Seconds until the token expires (at most 7200). """
    data: TenantAccessTokenResponseData | Unset = UNSET
    """ Present (empty) on refusals. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        tenant_access_token = self.tenant_access_token

        expire = self.expire

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "msg": msg,
            }
        )
        if tenant_access_token is not UNSET:
            field_dict["tenant_access_token"] = tenant_access_token
        if expire is not UNSET:
            field_dict["expire"] = expire
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.tenant_access_token_response_data import (
            TenantAccessTokenResponseData,
        )

        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg")

        tenant_access_token = d.pop("tenant_access_token", UNSET)

        expire = d.pop("expire", UNSET)

        _data = d.pop("data", UNSET)
        data: TenantAccessTokenResponseData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = TenantAccessTokenResponseData.from_dict(_data)

        tenant_access_token_response = cls(
            code=code,
            msg=msg,
            tenant_access_token=tenant_access_token,
            expire=expire,
            data=data,
        )

        tenant_access_token_response.additional_properties = d
        return tenant_access_token_response

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
