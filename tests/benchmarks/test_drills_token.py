"""The drills' token helper: a sandbox answering 1002001 (a process whose engine connection a restart
broke) is asked again only when the caller gives it time, and only for that error."""

from __future__ import annotations

import pytest

from benchmarks.drills.common import token
from mockserver.errors import SYSTEM_ERROR
from mockserver.pytest_plugin import RunningMock

OPERATION = "tenant_access_token_internal"


def test_a_token_is_asked_again_while_the_sandbox_answers_1002001(feishu_mock_server: RunningMock) -> None:
    control = feishu_mock_server.control
    control.inject_fault(OPERATION, code=SYSTEM_ERROR, count=3)
    assert token(feishu_mock_server.base_url, within=5.0).startswith("t-")
    assert control.faults() == []  # all three were answered first


def test_without_time_given_the_first_answer_stands(feishu_mock_server: RunningMock) -> None:
    feishu_mock_server.control.inject_fault(OPERATION, code=SYSTEM_ERROR)
    with pytest.raises(KeyError):
        token(feishu_mock_server.base_url)


def test_another_refusal_is_not_asked_again(feishu_mock_server: RunningMock) -> None:
    control = feishu_mock_server.control
    control.inject_fault(OPERATION, code=10003, count=2)  # invalid app credentials
    with pytest.raises(KeyError):
        token(feishu_mock_server.base_url, within=5.0)
    assert [fault["remaining"] for fault in control.faults()] == [1]  # asked once
