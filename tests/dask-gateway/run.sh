#!/usr/bin/env bash
# Runs the dask-gateway tests: the unchanged dask-gateway server (YARN backend) and client on the
# unchanged `skein==0.8.2` client, against skein-rs and the cluster of HADOOP_CONF_DIR.
# Usage: tests/dask-gateway/run.sh [pytest args...]   (SKEIN_BIN overrides the binary under test)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bash tests/dask-gateway/setup-venv.sh
. tests/skein-bin.sh
# skein 0.8.2 uses distutils' LooseVersion: a deprecation warning per client, not ours.
exec tests/dask-gateway/.venv/bin/python -m pytest tests/dask-gateway -q -p no:cacheprovider \
    -o timeout=300 -W "ignore:distutils Version classes are deprecated:DeprecationWarning" \
    "$@"
