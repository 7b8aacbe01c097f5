from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TalentExternalInfo")


@_attrs_define
class TalentExternalInfo:
    """人才外部信息, a talent's external info."""

    talent_id: str | Unset = UNSET
    """ 人才 ID, the talent's id. """
    external_create_time: str | Unset = UNSET
    """ 人才在外部系统的创建时间, a millisecond timestamp. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        talent_id = self.talent_id

        external_create_time = self.external_create_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if talent_id is not UNSET:
            field_dict["talent_id"] = talent_id
        if external_create_time is not UNSET:
            field_dict["external_create_time"] = external_create_time

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        talent_id = d.pop("talent_id", UNSET)

        external_create_time = d.pop("external_create_time", UNSET)

        talent_external_info = cls(
            talent_id=talent_id,
            external_create_time=external_create_time,
        )

        talent_external_info.additional_properties = d
        return talent_external_info

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
