#!/usr/bin/env bash
# Runs every check: the generated client matches the spec, lint, format, types, then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
"$bin/feishu-hire" generate --check
"$bin/ruff" check .
"$bin/ruff" format --check .
"$bin/mypy"
# pytest exits 5 when it collected nothing: that is a failure here too, as any non-zero code is.
"$bin/python" -m pytest "$@"
