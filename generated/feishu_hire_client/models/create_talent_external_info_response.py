from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_talent_external_info_response_data import (
        CreateTalentExternalInfoResponseData,
    )


T = TypeVar("T", bound="CreateTalentExternalInfoResponse")


@_attrs_define
class CreateTalentExternalInfoResponse:
    code: int
    """ 错误码, 0 is success, anything else a failure. """
    msg: str
    """ 错误描述, the error's description (`ok` on success). """
    data: CreateTalentExternalInfoResponseData | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

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
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.create_talent_external_info_response_data import (
            CreateTalentExternalInfoResponseData,
        )

        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg")

        _data = d.pop("data", UNSET)
        data: CreateTalentExternalInfoResponseData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = CreateTalentExternalInfoResponseData.from_dict(_data)

        create_talent_external_info_response = cls(
            code=code,
            msg=msg,
            data=data,
        )

        create_talent_external_info_response.additional_properties = d
        return create_talent_external_info_response

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
