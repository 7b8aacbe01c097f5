from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.website_user import WebsiteUser


T = TypeVar("T", bound="CreateWebsiteSiteUserResponseData")


@_attrs_define
class CreateWebsiteSiteUserResponseData:
    site_user: WebsiteUser | Unset = UNSET
    """ 官网用户信息, a careers-site user. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        site_user: dict[str, Any] | Unset = UNSET
        if not isinstance(self.site_user, Unset):
            site_user = self.site_user.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if site_user is not UNSET:
            field_dict["site_user"] = site_user

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.website_user import WebsiteUser

        d = dict(src_dict)
        _site_user = d.pop("site_user", UNSET)
        site_user: WebsiteUser | Unset
        if isinstance(_site_user, Unset):
            site_user = UNSET
        else:
            site_user = WebsiteUser.from_dict(_site_user)

        create_website_site_user_response_data = cls(
            site_user=site_user,
        )

        create_website_site_user_response_data.additional_properties = d
        return create_website_site_user_response_data

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
