from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateWebsiteSiteUserRequestBody")


@_attrs_define
class CreateWebsiteSiteUserRequestBody:
    external_id: str
    """ 外部 ID, the external id; the idempotency field: one external_id creates exactly one site user;
    when a site user with it exists already, the call answers that user.
     """
    name: str | Unset = UNSET
    """ 用户姓名, the user's name. """
    email: str | Unset = UNSET
    """ 用户邮箱, the user's email. """
    mobile: str | Unset = UNSET
    """ 电话, phone number; when given, mobile_country_code is required. """
    mobile_country_code: str | Unset = UNSET
    """ 国家码, country code (from 获取地点列表, query locations); when given, mobile is required. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        external_id = self.external_id

        name = self.name

        email = self.email

        mobile = self.mobile

        mobile_country_code = self.mobile_country_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "external_id": external_id,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if email is not UNSET:
            field_dict["email"] = email
        if mobile is not UNSET:
            field_dict["mobile"] = mobile
        if mobile_country_code is not UNSET:
            field_dict["mobile_country_code"] = mobile_country_code

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        external_id = d.pop("external_id")

        name = d.pop("name", UNSET)

        email = d.pop("email", UNSET)

        mobile = d.pop("mobile", UNSET)

        mobile_country_code = d.pop("mobile_country_code", UNSET)

        create_website_site_user_request_body = cls(
            external_id=external_id,
            name=name,
            email=email,
            mobile=mobile,
            mobile_country_code=mobile_country_code,
        )

        create_website_site_user_request_body.additional_properties = d
        return create_website_site_user_request_body

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
