from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.talent_external_info import TalentExternalInfo


T = TypeVar("T", bound="CreateTalentExternalInfoResponseData")


@_attrs_define
class CreateTalentExternalInfoResponseData:
    external_info: TalentExternalInfo | Unset = UNSET
    """ 人才外部信息, a talent's external info. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        external_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.external_info, Unset):
            external_info = self.external_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if external_info is not UNSET:
            field_dict["external_info"] = external_info

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.talent_external_info import TalentExternalInfo

        d = dict(src_dict)
        _external_info = d.pop("external_info", UNSET)
        external_info: TalentExternalInfo | Unset
        if isinstance(_external_info, Unset):
            external_info = UNSET
        else:
            external_info = TalentExternalInfo.from_dict(_external_info)

        create_talent_external_info_response_data = cls(
            external_info=external_info,
        )

        create_talent_external_info_response_data.additional_properties = d
        return create_talent_external_info_response_data

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
