"""`feishu-hire diff` (text, JSON, exit codes, git revisions) and `generate`'s report, version and
changelog on a user's own spec copy."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from feishu_hire_kit import codegen
from feishu_hire_kit.cli import main
from tests.specdiff.corpus import spec

ENUM = ("components", "schemas", "UpdateOption")


def _write(path: Path, document: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _without_option_3(tmp_path: Path) -> Path:
    document = yaml.safe_load(yaml.safe_dump(spec()))
    enum = document["components"]["schemas"]["UpdateOption"]
    enum["enum"], enum["x-enum-varnames"] = [1, 2], ["RECRUITER", "ASSISTANT"]
    del enum["x-enum-descriptions"]["3"]
    return _write(tmp_path / "new.yaml", document)


def test_diff_text_groups_by_operation_breaking_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old.yaml", spec())
    assert main(["diff", str(old), str(_without_option_3(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1 breaking, 2 non-breaking change(s)\n\nbatch_update_job_manager\n")
    assert out.index("BREAKING") < out.index("non-breaking  ")
    assert "request body.update_option_list[]: enum value(s) [3] removed" in out
    assert "at /components/schemas/UpdateOption/enum" in out
    assert "client code: stop sending the removed value" in out


def test_diff_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _write(tmp_path / "old.yaml", spec())
    assert main(["diff", str(old), str(_without_option_3(tmp_path)), "--format", "json"]) == 1
    changes = json.loads(capsys.readouterr().out)
    assert changes[0] == {
        "severity": "breaking",
        "operation": "batch_update_job_manager",
        "location": "/components/schemas/UpdateOption/enum",
        "message": "request body.update_option_list[]: enum value(s) [3] removed",
        "rule": "request-enum-value-removed",
        "action": "stop sending the removed value",
        "old_location": "/components/schemas/UpdateOption/enum",
        "new_location": "/components/schemas/UpdateOption/enum",
    }
    assert {c["severity"] for c in changes[1:]} == {"non-breaking"}


def test_diff_reads_git_revisions_from_a_subfolder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = codegen.find_checkout()
    assert checkout is not None
    monkeypatch.chdir(checkout / "tests")
    assert main(["diff", "HEAD:spec/hire.yaml", "../spec/hire.yaml", "--format", "json"]) in (0, 1)
    assert isinstance(json.loads(capsys.readouterr().out), list)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("{not: [yaml", "not YAML or JSON"),
        ("openapi: 3.1.0\npaths: {}\n", 'not a valid OpenAPI document: "info" is a required property'),
        ("just: a mapping\n", "not an OpenAPI document"),
    ],
)
def test_unreadable_or_invalid_input_exits_2(
    tmp_path: Path, content: str | None, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    good = _write(tmp_path / "good.yaml", spec())
    assert main(["diff", str(bad), str(good)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err
    assert problem in err


def test_unknown_git_revision_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "no-such-rev:spec/hire.yaml", "HEAD:spec/hire.yaml"]) == 2
    assert "cannot be read from git" in capsys.readouterr().err


def test_generate_reports_bumps_and_logs_a_user_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "client"
    shutil.copytree(codegen.generated_dir(), out, ignore=codegen.IGNORED)
    lock = yaml.safe_load((out / codegen.LOCK).read_text(encoding="utf-8"))
    new_spec = _without_option_3(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--spec", str(new_spec), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 breaking, 2 non-breaking change(s)" in printed
    major = int(lock["version"].split(".")[0]) + 1
    assert f"version: {lock['version']} -> {major}.0.0" in printed
    assert "client regenerated from new.yaml" in printed
    changelog = (out / codegen.CHANGELOG).read_text(encoding="utf-8")
    assert f"## {major}.0.0\n" in changelog
    assert "enum value(s) [3] removed (`/components/schemas/UpdateOption/enum`)" in changelog
    models = (out / "feishu_hire_client/models/update_option.py").read_text(encoding="utf-8")
    assert "HIRING_MANAGER" not in models
    assert main(["generate", "--check", "--spec", str(new_spec), "--out", str(out)]) == 0
    assert main(["diff", str(out / codegen.LOCK), str(new_spec)]) == 0  # the lock holds the new spec


def test_outside_a_checkout_generate_asks_for_spec_and_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a non-editable install sees: no checkout around the folder or around the package."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(codegen, "repo_root", lambda: tmp_path / "site-packages")
    assert main(["generate"]) == 2
    assert "--spec PATH --out DIR" in capsys.readouterr().err
    assert codegen.find_checkout() is None
    assert not (tmp_path / "site-packages").exists()


def test_missing_generator_hint_names_the_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codegen, "pinned_generator_versions", lambda: {"openapi-python-client": "0.0.0"})
    with pytest.raises(codegen.CodegenError, match=r"pip install 'openapi-python-client==0.0.0'") as info:
        codegen.render(Path(os.devnull).parent)
    assert "-e" not in str(info.value)


def test_the_checkout_is_found_from_any_folder_inside_it(tmp_path: Path) -> None:
    checkout = codegen.find_checkout()
    assert checkout is not None
    for inside in (
        checkout,
        checkout / "mockserver",
        checkout / "tests" / "specdiff",
        checkout / "spec" / "docs",
    ):
        assert codegen.find_checkout(inside) == checkout
    assert codegen.generated_dir() == checkout / "generated"
