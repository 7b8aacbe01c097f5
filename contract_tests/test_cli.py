"""`feishu-hire contract` builds the pytest command line of the suite from its flags."""

from __future__ import annotations

from pathlib import Path

from contract_tests.cli import pytest_args
from feishu_hire_kit.cli import build_parser


def test_contract_flags_become_the_suite_options() -> None:
    args = build_parser().parse_args(
        [
            "contract",
            "--target",
            "https://sandbox.example",
            "--app-id",
            "cli_x",
            "--app-secret",
            "s",
            "--job-id",
            "1",
            "--user",
            "ou_a",
            "--user",
            "open_id=ou_b,user_id=2",
            "--",
            "-k",
            "round_trip",
        ]
    )
    assert pytest_args(args) == [
        str(Path(__file__).parent),
        "--target",
        "https://sandbox.example",
        "--app-id",
        "cli_x",
        "--app-secret",
        "s",
        "--job-id",
        "1",
        "--user",
        "ou_a",
        "--user",
        "open_id=ou_b,user_id=2",
        "-k",
        "round_trip",
    ]


def test_the_default_target_is_the_local_mock() -> None:
    args = build_parser().parse_args(["contract"])
    assert pytest_args(args) == [str(Path(__file__).parent), "--target", "mock"]


def test_the_control_plane_flags_pass_through_as_given() -> None:
    url = "https://sandbox.example"
    args = build_parser().parse_args(
        ["contract", "--target", url, "--allow-control-plane", "--admin-token", "a"]
    )
    assert pytest_args(args)[1:] == ["--target", url, "--allow-control-plane", "--admin-token", "a"]
