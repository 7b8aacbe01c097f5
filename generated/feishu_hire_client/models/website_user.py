from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="WebsiteUser")


@_attrs_define
class WebsiteUser:
    """官网用户信息, a careers-site user."""

    user_id: str | Unset = UNSET
    """ 官网用户 ID, the site user's id. """
    name: str | Unset = UNSET
    """ 用户姓名, the user's name. """
    email: str | Unset = UNSET
    """ 用户邮箱, the user's email. """
    external_id: str | Unset = UNSET
    """ 外部 ID, the external id. """
    mobile: str | Unset = UNSET
    """ 电话, phone number. """
    mobile_country_code: str | Unset = UNSET
    """ 国家码, country code. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        user_id = self.user_id

        name = self.name

        email = self.email

        external_id = self.external_id

        mobile = self.mobile

        mobile_country_code = self.mobile_country_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if name is not UNSET:
            field_dict["name"] = name
        if email is not UNSET:
            field_dict["email"] = email
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if mobile is not UNSET:
            field_dict["mobile"] = mobile
        if mobile_country_code is not UNSET:
            field_dict["mobile_country_code"] = mobile_country_code

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        user_id = d.pop("user_id", UNSET)

        name = d.pop("name", UNSET)

        email = d.pop("email", UNSET)

        external_id = d.pop("external_id", UNSET)

        mobile = d.pop("mobile", UNSET)

        mobile_country_code = d.pop("mobile_country_code", UNSET)

        website_user = cls(
            user_id=user_id,
            name=name,
            email=email,
            external_id=external_id,
            mobile=mobile,
            mobile_country_code=mobile_country_code,
        )

        website_user.additional_properties = d
        return website_user

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
