#!/usr/bin/env bash
# Runs the Python interop tests: the unchanged `skein==0.8.2` client against skein-rs.
# Usage: tests/python/run.sh [pytest args...]   (SKEIN_BIN overrides the binary under test)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bash tests/python/setup-venv.sh
. tests/skein-bin.sh
# skein 0.8.2 uses distutils' LooseVersion: a deprecation warning per client, not ours.
exec tests/python/.venv/bin/python -m pytest tests/python -q -p no:cacheprovider -o timeout=120 \
    -W "ignore:distutils Version classes are deprecated:DeprecationWarning" "$@"
