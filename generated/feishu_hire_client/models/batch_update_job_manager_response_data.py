from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.job_manager import JobManager


T = TypeVar("T", bound="BatchUpdateJobManagerResponseData")


@_attrs_define
class BatchUpdateJobManagerResponseData:
    job_manager: JobManager | Unset = UNSET
    """ 职位负责人 (job.manager), the people of a job. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        job_manager: dict[str, Any] | Unset = UNSET
        if not isinstance(self.job_manager, Unset):
            job_manager = self.job_manager.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if job_manager is not UNSET:
            field_dict["job_manager"] = job_manager

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_manager import JobManager

        d = dict(src_dict)
        _job_manager = d.pop("job_manager", UNSET)
        job_manager: JobManager | Unset
        if isinstance(_job_manager, Unset):
            job_manager = UNSET
        else:
            job_manager = JobManager.from_dict(_job_manager)

        batch_update_job_manager_response_data = cls(
            job_manager=job_manager,
        )

        batch_update_job_manager_response_data.additional_properties = d
        return batch_update_job_manager_response_data

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
