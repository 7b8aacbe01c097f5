"""Contains all the data models used in inputs/outputs"""

from .batch_update_job_manager_request_body import BatchUpdateJobManagerRequestBody
from .batch_update_job_manager_response import BatchUpdateJobManagerResponse
from .batch_update_job_manager_response_data import BatchUpdateJobManagerResponseData
from .create_talent_external_info_request_body import (
    CreateTalentExternalInfoRequestBody,
)
from .create_talent_external_info_response import CreateTalentExternalInfoResponse
from .create_talent_external_info_response_data import (
    CreateTalentExternalInfoResponseData,
)
from .create_website_site_user_request_body import CreateWebsiteSiteUserRequestBody
from .create_website_site_user_response import CreateWebsiteSiteUserResponse
from .create_website_site_user_response_data import CreateWebsiteSiteUserResponseData
from .envelope import Envelope
from .error_detail import ErrorDetail
from .error_help import ErrorHelp
from .error_info import ErrorInfo
from .error_response import ErrorResponse
from .error_response_data import ErrorResponseData
from .field_violation import FieldViolation
from .job_manager import JobManager
from .permission_violation import PermissionViolation
from .talent_external_info import TalentExternalInfo
from .tenant_access_token_request import TenantAccessTokenRequest
from .tenant_access_token_response import TenantAccessTokenResponse
from .tenant_access_token_response_data import TenantAccessTokenResponseData
from .update_option import UpdateOption
from .user_id_type import UserIdType
from .website_user import WebsiteUser

__all__ = (
    "BatchUpdateJobManagerRequestBody",
    "BatchUpdateJobManagerResponse",
    "BatchUpdateJobManagerResponseData",
    "CreateTalentExternalInfoRequestBody",
    "CreateTalentExternalInfoResponse",
    "CreateTalentExternalInfoResponseData",
    "CreateWebsiteSiteUserRequestBody",
    "CreateWebsiteSiteUserResponse",
    "CreateWebsiteSiteUserResponseData",
    "Envelope",
    "ErrorDetail",
    "ErrorHelp",
    "ErrorInfo",
    "ErrorResponse",
    "ErrorResponseData",
    "FieldViolation",
    "JobManager",
    "PermissionViolation",
    "TalentExternalInfo",
    "TenantAccessTokenRequest",
    "TenantAccessTokenResponse",
    "TenantAccessTokenResponseData",
    "UpdateOption",
    "UserIdType",
    "WebsiteUser",
)
