#!/usr/bin/env bash
# Runs the JupyterHub tests against skein-rs and the cluster of HADOOP_CONF_DIR, once per
# spawner: jupyterhub-yarnspawner 0.4.0 (unchanged, JupyterHub 2.3.1, .venv-yarnspawner), then
# python/skein-yarnspawner (today's JupyterHub, .venv).
# Usage: tests/jupyterhub/run.sh [pytest args...]   (SKEIN_BIN overrides the binary under test)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bash tests/jupyterhub/setup-venv.sh
. tests/skein-bin.sh
status=0
for venv in .venv-yarnspawner .venv; do
    echo "-- tests/jupyterhub with $venv"
    # skein 0.8.2 uses distutils' LooseVersion: a deprecation warning per client, not ours.
    "tests/jupyterhub/$venv/bin/python" -m pytest tests/jupyterhub -q -p no:cacheprovider \
        -o timeout=300 -W "ignore:distutils Version classes are deprecated:DeprecationWarning" \
        "$@" || status=1
done
exit $status
