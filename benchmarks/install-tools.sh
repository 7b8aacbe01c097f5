#!/usr/bin/env bash
# Installs what the benchmarks compare against or load with: wrk (Debian) and Stoplight Prism (npm),
# pinned, into benchmarks/.tools (git-ignored). Not part of CI: benchmarks run by hand.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x .tools/node_modules/.bin/prism ]; then
  npm install --silent --prefix .tools @stoplight/prism-cli@5.16.0 >/dev/null
fi
echo "wrk: $(command -v wrk); prism: $(pwd)/.tools/node_modules/.bin/prism ($(.tools/node_modules/.bin/prism --version))"
