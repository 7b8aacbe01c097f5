from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_detail import ErrorDetail
    from ..models.error_help import ErrorHelp
    from ..models.field_violation import FieldViolation
    from ..models.permission_violation import PermissionViolation


T = TypeVar("T", bound="ErrorInfo")


@_attrs_define
class ErrorInfo:
    """Details of a failure."""

    log_id: str | Unset = UNSET
    """ The request's log id, as in the `X-Tt-Logid` header. """
    troubleshooter: str | Unset = UNSET
    """ A link to Feishu's troubleshooting page for this log id. """
    details: list[ErrorDetail] | Unset = UNSET
    permission_violations: list[PermissionViolation] | Unset = UNSET
    field_violations: list[FieldViolation] | Unset = UNSET
    helps: list[ErrorHelp] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        log_id = self.log_id

        troubleshooter = self.troubleshooter

        details: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.details, Unset):
            details = []
            for details_item_data in self.details:
                details_item = details_item_data.to_dict()
                details.append(details_item)

        permission_violations: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.permission_violations, Unset):
            permission_violations = []
            for permission_violations_item_data in self.permission_violations:
                permission_violations_item = permission_violations_item_data.to_dict()
                permission_violations.append(permission_violations_item)

        field_violations: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.field_violations, Unset):
            field_violations = []
            for field_violations_item_data in self.field_violations:
                field_violations_item = field_violations_item_data.to_dict()
                field_violations.append(field_violations_item)

        helps: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.helps, Unset):
            helps = []
            for helps_item_data in self.helps:
                helps_item = helps_item_data.to_dict()
                helps.append(helps_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if log_id is not UNSET:
            field_dict["log_id"] = log_id
        if troubleshooter is not UNSET:
            field_dict["troubleshooter"] = troubleshooter
        if details is not UNSET:
            field_dict["details"] = details
        if permission_violations is not UNSET:
            field_dict["permission_violations"] = permission_violations
        if field_violations is not UNSET:
            field_dict["field_violations"] = field_violations
        if helps is not UNSET:
            field_dict["helps"] = helps

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.error_detail import ErrorDetail
        from ..models.error_help import ErrorHelp
        from ..models.field_violation import FieldViolation
        from ..models.permission_violation import PermissionViolation

        d = dict(src_dict)
        log_id = d.pop("log_id", UNSET)

        troubleshooter = d.pop("troubleshooter", UNSET)

        _details = d.pop("details", UNSET)
        details: list[ErrorDetail] | Unset = UNSET
        if _details is not UNSET:
            details = []
            for details_item_data in _details:
                details_item = ErrorDetail.from_dict(details_item_data)

                details.append(details_item)

        _permission_violations = d.pop("permission_violations", UNSET)
        permission_violations: list[PermissionViolation] | Unset = UNSET
        if _permission_violations is not UNSET:
            permission_violations = []
            for permission_violations_item_data in _permission_violations:
                permission_violations_item = PermissionViolation.from_dict(
                    permission_violations_item_data
                )

                permission_violations.append(permission_violations_item)

        _field_violations = d.pop("field_violations", UNSET)
        field_violations: list[FieldViolation] | Unset = UNSET
        if _field_violations is not UNSET:
            field_violations = []
            for field_violations_item_data in _field_violations:
                field_violations_item = FieldViolation.from_dict(
                    field_violations_item_data
                )

                field_violations.append(field_violations_item)

        _helps = d.pop("helps", UNSET)
        helps: list[ErrorHelp] | Unset = UNSET
        if _helps is not UNSET:
            helps = []
            for helps_item_data in _helps:
                helps_item = ErrorHelp.from_dict(helps_item_data)

                helps.append(helps_item)

        error_info = cls(
            log_id=log_id,
            troubleshooter=troubleshooter,
            details=details,
            permission_violations=permission_violations,
            field_violations=field_violations,
            helps=helps,
        )

        error_info.additional_properties = d
        return error_info

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
