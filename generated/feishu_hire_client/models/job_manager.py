from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="JobManager")


@_attrs_define
class JobManager:
    """职位负责人 (job.manager), the people of a job."""

    id: str | Unset = UNSET
    """ 职位 ID, the job's id. """
    recruiter_id: str | Unset = UNSET
    """ 招聘负责人 ID, in `user_id_type`. """
    hiring_manager_id_list: list[str] | Unset = UNSET
    """ 用人经理 ID 列表, in `user_id_type`. """
    assistant_id_list: list[str] | Unset = UNSET
    """ 招聘协助人 ID 列表, in `user_id_type`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        recruiter_id = self.recruiter_id

        hiring_manager_id_list: list[str] | Unset = UNSET
        if not isinstance(self.hiring_manager_id_list, Unset):
            hiring_manager_id_list = self.hiring_manager_id_list

        assistant_id_list: list[str] | Unset = UNSET
        if not isinstance(self.assistant_id_list, Unset):
            assistant_id_list = self.assistant_id_list

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if recruiter_id is not UNSET:
            field_dict["recruiter_id"] = recruiter_id
        if hiring_manager_id_list is not UNSET:
            field_dict["hiring_manager_id_list"] = hiring_manager_id_list
        if assistant_id_list is not UNSET:
            field_dict["assistant_id_list"] = assistant_id_list

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        recruiter_id = d.pop("recruiter_id", UNSET)

        hiring_manager_id_list = cast(list[str], d.pop("hiring_manager_id_list", UNSET))

        assistant_id_list = cast(list[str], d.pop("assistant_id_list", UNSET))

        job_manager = cls(
            id=id,
            recruiter_id=recruiter_id,
            hiring_manager_id_list=hiring_manager_id_list,
            assistant_id_list=assistant_id_list,
        )

        job_manager.additional_properties = d
        return job_manager

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
