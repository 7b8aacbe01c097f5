from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.update_option import UpdateOption
from ..types import UNSET, Unset

T = TypeVar("T", bound="BatchUpdateJobManagerRequestBody")


@_attrs_define
class BatchUpdateJobManagerRequestBody:
    update_option_list: list[UpdateOption]
    """ 更新的人员类型, the roles to update (1 recruiter, 2 assistants, 3 hiring managers). """
    recruiter_id: str | Unset = UNSET
    """ 招聘负责人 ID, the recruiter's id in `user_id_type`; required when update_option_list contains 1. """
    assistant_id_list: list[str] | Unset = UNSET
    """ 招聘协助人 ID 列表, the assistants' ids in `user_id_type`; required when update_option_list contains 2. """
    hiring_manager_id_list: list[str] | Unset = UNSET
    """ 用人经理 ID 列表, the hiring managers' ids in `user_id_type`; required when update_option_list contains 3. """
    creator_id: str | Unset = UNSET
    """ 操作者 ID, the operator's id in `user_id_type`; when absent, the system is the operator. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        update_option_list = []
        for update_option_list_item_data in self.update_option_list:
            update_option_list_item = update_option_list_item_data.value
            update_option_list.append(update_option_list_item)

        recruiter_id = self.recruiter_id

        assistant_id_list: list[str] | Unset = UNSET
        if not isinstance(self.assistant_id_list, Unset):
            assistant_id_list = self.assistant_id_list

        hiring_manager_id_list: list[str] | Unset = UNSET
        if not isinstance(self.hiring_manager_id_list, Unset):
            hiring_manager_id_list = self.hiring_manager_id_list

        creator_id = self.creator_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "update_option_list": update_option_list,
            }
        )
        if recruiter_id is not UNSET:
            field_dict["recruiter_id"] = recruiter_id
        if assistant_id_list is not UNSET:
            field_dict["assistant_id_list"] = assistant_id_list
        if hiring_manager_id_list is not UNSET:
            field_dict["hiring_manager_id_list"] = hiring_manager_id_list
        if creator_id is not UNSET:
            field_dict["creator_id"] = creator_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        update_option_list = []
        _update_option_list = d.pop("update_option_list")
        for update_option_list_item_data in _update_option_list:
            update_option_list_item = UpdateOption(update_option_list_item_data)

            update_option_list.append(update_option_list_item)

        recruiter_id = d.pop("recruiter_id", UNSET)

        assistant_id_list = cast(list[str], d.pop("assistant_id_list", UNSET))

        hiring_manager_id_list = cast(list[str], d.pop("hiring_manager_id_list", UNSET))

        creator_id = d.pop("creator_id", UNSET)

        batch_update_job_manager_request_body = cls(
            update_option_list=update_option_list,
            recruiter_id=recruiter_id,
            assistant_id_list=assistant_id_list,
            hiring_manager_id_list=hiring_manager_id_list,
            creator_id=creator_id,
        )

        batch_update_job_manager_request_body.additional_properties = d
        return batch_update_job_manager_request_body

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
