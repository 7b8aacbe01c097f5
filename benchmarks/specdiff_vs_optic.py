"""Our spec diff against Optic (npm `@useoptic/optic`) on the labelled corpus of tests/specdiff.

For each mutation of spec/hire.yaml it writes the old and new spec to a temporary folder, classifies
the change with `feishu_hire_kit.specdiff` and with `optic diff OLD NEW --check`, and prints side by
side what each tool said against the label: "breaking" (Optic: a failed check), "non-breaking" (Optic:
changes listed, no failed check) or "missed" (no change reported at all).

Optic 1.0.9 does not start as npm installs it (two copies of ajv; spectral's schema compile fails):
it runs with `"overrides": {"ajv": "8.17.1"}`, installed into benchmarks/.tools/optic by
`python benchmarks/specdiff_vs_optic.py --install`. Not part of CI: each Optic run takes seconds.

    .venv/bin/python -m benchmarks.specdiff_vs_optic [--jobs 2] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from feishu_hire_kit import specdiff
from tests.specdiff.corpus import Mutation, mutations

TOOLS = Path(__file__).with_name(".tools") / "optic"
OPTIC = TOOLS / "node_modules" / ".bin" / "optic"
OPTIC_VERSION = "1.0.9"
PACKAGE = {
    "name": "optic-bench",
    "private": True,
    "dependencies": {"@useoptic/optic": OPTIC_VERSION},
    "overrides": {"ajv": "8.17.1"},
}


def install() -> None:
    TOOLS.mkdir(parents=True, exist_ok=True)
    (TOOLS / "package.json").write_text(json.dumps(PACKAGE), encoding="utf-8")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=TOOLS, check=True)


def ours(m: Mutation) -> str:
    old, new = specdiff.from_raw(m.old, validate=False), specdiff.from_raw(m.new, validate=False)
    changes = specdiff.diff(old, new)
    if not changes:
        return "missed"
    return "breaking" if specdiff.is_breaking(changes) else "non-breaking"


def optic(m: Mutation, folder: Path) -> str:
    old, new = folder / "old.yaml", folder / "new.yaml"
    old.write_text(yaml.safe_dump(m.old, allow_unicode=True, sort_keys=False), encoding="utf-8")
    new.write_text(yaml.safe_dump(m.new, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = subprocess.run(
        [str(OPTIC), "diff", str(old), str(new), "--check"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "OPTIC_TELEMETRY_LEVEL": "off", "CI": "true"},
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    if re.search(r"^\s*x \[", out, flags=re.M):
        return "breaking"
    if "No operations changed" in out:
        return "missed"
    if "Operations:" in out:
        return "non-breaking"
    return f"error ({proc.returncode}): {out.strip().splitlines()[-1] if out.strip() else ''}"


def run_one(m: Mutation) -> tuple[Mutation, str, str]:
    with tempfile.TemporaryDirectory(prefix="specdiff-optic-") as tmp:
        return m, ours(m), optic(m, Path(tmp))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--install", action="store_true", help="install Optic (with the ajv override) first")
    parser.add_argument("--jobs", type=int, default=2, help="Optic runs at once (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N mutations")
    args = parser.parse_args()
    if args.install or not OPTIC.exists():
        install()
    corpus = mutations()[: args.limit]
    width = max(len(m.id) for m in corpus)
    print(f"{'mutation':<{width}}  {'label':<12}  {'ours':<12}  optic {OPTIC_VERSION}", flush=True)
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for m, mine, theirs in pool.map(run_one, corpus):
            print(f"{m.id:<{width}}  {m.severity:<12}  {mine:<12}  {theirs}", flush=True)
            results.append((m, mine, theirs))
    for severity in ("breaking", "non-breaking"):
        picked = [r for r in results if r[0].severity == severity]
        ours_right = sum(r[1] == severity for r in picked)
        optic_right = sum(r[2] == severity for r in picked)
        missed = sum(r[2] == "missed" for r in picked)
        print(
            f"{severity}: {len(picked)} mutations; ours classified {ours_right} as labelled, "
            f"Optic {optic_right} (it reported no change for {missed})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
