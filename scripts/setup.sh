#!/usr/bin/env bash
# Sets up everything on a fresh machine: a venv in .venv with the kit, the generated client and the
# test extras installed editable.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
echo "ready: .venv (try: .venv/bin/feishu-hire --help)"
