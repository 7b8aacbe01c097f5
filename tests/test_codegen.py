"""generated/ is exactly what the pinned generator makes from the spec, and CI notices any drift."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

import pytest

from feishu_hire_kit import codegen
from feishu_hire_kit.cli import main


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return codegen.render(tmp_path_factory.mktemp("render"))


@pytest.fixture
def copy_of_generated(tmp_path: Path) -> Path:
    target = tmp_path / "generated"
    shutil.copytree(codegen.generated_dir(), target, ignore=codegen.IGNORED)
    return target


def test_committed_client_matches_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--check"]) == 0
    assert "matches" in capsys.readouterr().out


def test_output_is_deterministic(fresh: Path, tmp_path: Path) -> None:
    again = codegen.render(tmp_path)
    assert codegen.compare(again, fresh) == []


@pytest.mark.parametrize(
    "relative",
    [
        "feishu_hire_client/models/website_user.py",
        "feishu_hire_client/api/hire/batch_update_job_manager.py",
        "feishu_hire_client/client.py",
    ],
)
def test_a_hand_edit_fails_the_check_and_is_named(
    copy_of_generated: Path, relative: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = copy_of_generated / relative
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# tweaked by hand\n", encoding="utf-8")
    assert main(["generate", "--check", "--target", str(copy_of_generated)]) == 1
    err = capsys.readouterr().err
    assert f"changed: generated/{relative}" in err
    assert "-# tweaked by hand" in err


def test_missing_and_unexpected_files_are_named(copy_of_generated: Path) -> None:
    (copy_of_generated / "feishu_hire_client/models/job_manager.py").unlink()
    (copy_of_generated / "feishu_hire_client/models/extra.py").write_text("x = 1\n", encoding="utf-8")
    found = {(d.kind, d.path) for d in codegen.check(copy_of_generated)}
    assert found == {
        ("missing", "feishu_hire_client/models/job_manager.py"),
        ("unexpected", "feishu_hire_client/models/extra.py"),
    }


def test_generate_repairs_a_drifted_copy(copy_of_generated: Path) -> None:
    (copy_of_generated / "feishu_hire_client/types.py").write_text("broken\n", encoding="utf-8")
    assert main(["generate", "--target", str(copy_of_generated)]) == 0
    assert codegen.check(copy_of_generated) == []


def test_generator_versions_are_pinned_and_installed() -> None:
    pins = codegen.pinned_generator_versions()
    assert set(pins) == {"openapi-python-client", "ruff"}
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version


def test_readable_model_names(fresh: Path) -> None:
    models = {p.stem for p in (fresh / "feishu_hire_client/models").glob("*.py")}
    assert {
        "website_user",
        "job_manager",
        "talent_external_info",
        "error_response",
        "update_option",
    } <= models
    assert not any(name.startswith("response_200") for name in models)
    from feishu_hire_client.models import JobManager, TalentExternalInfo, UpdateOption, WebsiteUser

    assert [o.name for o in UpdateOption] == ["RECRUITER", "ASSISTANT", "HIRING_MANAGER"]
    assert WebsiteUser.from_dict({"user_id": "1"}).user_id == "1"
    assert JobManager.from_dict({"id": "7"}).id == "7"
    assert TalentExternalInfo.from_dict({"talent_id": "9"}).talent_id == "9"
