from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_info import ErrorInfo
    from ..models.error_response_data import ErrorResponseData


T = TypeVar("T", bound="ErrorResponse")


@_attrs_define
class ErrorResponse:
    """A failed answer. Newer answers add the `error` object."""

    code: int
    """ 错误码, 0 is success, anything else a failure. """
    msg: str
    """ 错误描述, the error's description (`ok` on success). """
    data: ErrorResponseData | Unset = UNSET
    """ Empty or absent on failures. """
    error: ErrorInfo | Unset = UNSET
    """ Details of a failure. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        error: dict[str, Any] | Unset = UNSET
        if not isinstance(self.error, Unset):
            error = self.error.to_dict()

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
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.error_info import ErrorInfo
        from ..models.error_response_data import ErrorResponseData

        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg")

        _data = d.pop("data", UNSET)
        data: ErrorResponseData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = ErrorResponseData.from_dict(_data)

        _error = d.pop("error", UNSET)
        error: ErrorInfo | Unset
        if isinstance(_error, Unset):
            error = UNSET
        else:
            error = ErrorInfo.from_dict(_error)

        error_response = cls(
            code=code,
            msg=msg,
            data=data,
            error=error,
        )

        error_response.additional_properties = d
        return error_response

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
