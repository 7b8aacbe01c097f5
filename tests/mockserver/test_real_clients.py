"""The official lark-oapi SDK (over HTTP) and our generated client cannot tell the mock from Feishu."""

from __future__ import annotations

import httpx
import lark_oapi as lark
from feishu_hire_client import AuthenticatedClient, Client
from feishu_hire_client.api.auth import tenant_access_token_internal
from feishu_hire_client.api.hire import (
    batch_update_job_manager,
    create_talent_external_info,
    create_website_site_user,
)
from feishu_hire_client.models import (
    BatchUpdateJobManagerRequestBody as GeneratedBatchUpdateBody,
)
from feishu_hire_client.models import (
    CreateTalentExternalInfoRequestBody as GeneratedExternalInfoBody,
)
from feishu_hire_client.models import (
    CreateWebsiteSiteUserRequestBody,
    TenantAccessTokenRequest,
    UpdateOption,
    UserIdType,
)
from lark_oapi.api.hire.v1 import (
    BatchUpdateJobManagerRequest,
    BatchUpdateJobManagerRequestBody,
    CreateTalentExternalInfoRequest,
    CreateTalentExternalInfoRequestBody,
    CreateWebsiteSiteUserRequest,
    WebsiteUser,
)
from lark_oapi.core.cache import LocalCache

from mockserver.pytest_plugin import InProcessMock, RunningMock
from mockserver.seed import JOB_ID, TALENT_ID, WEBSITE_ID
from tests.mockserver.helpers import LI, WANG, ZHANG


def lark_client(mock: RunningMock) -> lark.Client:
    """The official SDK pointed at the running mock with its `domain` option."""
    return (
        lark.Client.builder()
        .app_id(mock.app_id)
        .app_secret(mock.app_secret)
        .domain(mock.base_url)
        # lark-oapi caches tokens process-wide; a fresh cache keeps other tests' tokens out.
        .cache(LocalCache())
        .log_level(lark.LogLevel.ERROR)
        .build()
    )


def test_lark_oapi_sdk_makes_all_three_calls_over_http(feishu_mock_server: RunningMock) -> None:
    client = lark_client(feishu_mock_server)
    site = client.hire.v1.website_site_user.create(
        CreateWebsiteSiteUserRequest.builder()
        .website_id(WEBSITE_ID)
        .request_body(
            WebsiteUser.builder()
            .external_id("6960663240925956621")
            .name("张敏")
            .mobile("182900291190")
            .mobile_country_code("CN_1")
            .build()
        )
        .build()
    )
    assert site.success(), (site.code, site.msg)
    assert len(site.data.site_user.user_id) == 19
    assert site.get_log_id()  # read from the X-Tt-Logid header

    info = client.hire.v1.talent_external_info.create(
        CreateTalentExternalInfoRequest.builder()
        .talent_id(TALENT_ID)
        .request_body(
            CreateTalentExternalInfoRequestBody.builder().external_create_time("1639992265035").build()
        )
        .build()
    )
    assert info.success(), (info.code, info.msg)
    assert info.data.external_info.external_create_time == "1639992265035"

    managers = client.hire.v1.job_manager.batch_update(
        BatchUpdateJobManagerRequest.builder()
        .job_id(JOB_ID)
        .user_id_type("open_id")
        .request_body(
            BatchUpdateJobManagerRequestBody.builder()
            .recruiter_id(ZHANG["open_id"])
            .assistant_id_list([WANG["open_id"]])
            .hiring_manager_id_list([WANG["open_id"]])
            .update_option_list([1, 2, 3])
            .creator_id(LI["open_id"])
            .build()
        )
        .build()
    )
    assert managers.success(), (managers.code, managers.msg)
    assert managers.data.job_manager.recruiter_id == ZHANG["open_id"]
    assert managers.data.job_manager.assistant_id_list == [WANG["open_id"]]

    # One token fetch (lark-oapi sends it without a Content-Type), then the three calls with it.
    journal = feishu_mock_server.control.requests()
    assert [e["operation"] for e in journal] == [
        "tenant_access_token_internal",
        "create_website_site_user",
        "create_talent_external_info",
        "batch_update_job_manager",
    ]
    assert site.get_log_id() == journal[1]["log_id"]


def test_lark_oapi_sees_failures_as_failed_responses(feishu_mock_server: RunningMock) -> None:
    client = lark_client(feishu_mock_server)
    feishu_mock_server.control.inject_fault("batch_update_job_manager", code=1002619)
    resp = client.hire.v1.job_manager.batch_update(
        BatchUpdateJobManagerRequest.builder()
        .job_id(JOB_ID)
        .request_body(
            BatchUpdateJobManagerRequestBody.builder()
            .recruiter_id(ZHANG["open_id"])
            .update_option_list([1])
            .build()
        )
        .build()
    )
    assert not resp.success()
    assert resp.code == 1002619
    assert resp.get_log_id()


def test_generated_client_makes_all_three_calls(feishu_mock: InProcessMock) -> None:
    transport_args = {"transport": feishu_mock.transport}
    anonymous = Client(base_url=feishu_mock.base_url, httpx_args=transport_args)
    issued = tenant_access_token_internal.sync(
        client=anonymous,
        body=TenantAccessTokenRequest(app_id=feishu_mock.app_id, app_secret=feishu_mock.app_secret),
    )
    assert issued is not None
    assert issued.code == 0
    assert isinstance(issued.tenant_access_token, str)
    client = AuthenticatedClient(
        base_url=feishu_mock.base_url, token=issued.tenant_access_token, httpx_args=transport_args
    )

    site = create_website_site_user.sync(
        WEBSITE_ID,
        client=client,
        body=CreateWebsiteSiteUserRequestBody(external_id="6960663240925956621", name="张敏"),
    )
    assert site is not None
    assert site.code == 0
    assert site.data.site_user.name == "张敏"  # type: ignore[union-attr]

    info = create_talent_external_info.sync(
        TALENT_ID, client=client, body=GeneratedExternalInfoBody(external_create_time="1639992265035")
    )
    assert info is not None
    assert info.data.external_info.talent_id == TALENT_ID  # type: ignore[union-attr]

    managers = batch_update_job_manager.sync(
        JOB_ID,
        client=client,
        user_id_type=UserIdType.UNION_ID,
        body=GeneratedBatchUpdateBody(
            update_option_list=[UpdateOption.ASSISTANT], assistant_id_list=[WANG["union_id"]]
        ),
    )
    assert managers is not None
    assert managers.code == 0
    assert managers.data.job_manager.assistant_id_list == [WANG["union_id"]]  # type: ignore[union-attr]


def test_generated_client_over_http(feishu_mock_server: RunningMock) -> None:
    with httpx.Client(base_url=feishu_mock_server.base_url) as raw:
        answer = raw.post(
            "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": feishu_mock_server.app_id, "app_secret": feishu_mock_server.app_secret},
        ).json()
    client = AuthenticatedClient(base_url=feishu_mock_server.base_url, token=answer["tenant_access_token"])
    response = create_website_site_user.sync_detailed(
        WEBSITE_ID, client=client, body=CreateWebsiteSiteUserRequestBody(external_id="e")
    )
    assert response.status_code == 200
    assert response.parsed is not None
    assert response.parsed.code == 0
