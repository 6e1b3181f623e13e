#!/usr/bin/env bash
# Sets up what tests/jupyterhub needs (tests/setup-venv.sh: each part is left alone when
# already complete):
# * .venv-yarnspawner (requirements-yarnspawner.txt): jupyterhub-yarnspawner 0.4.0 with the
#   newest JupyterHub it runs with;
# * .venv (requirements.txt): today's JupyterHub with python/skein-yarnspawner (editable);
# * proxy/node_modules: JupyterHub's configurable-http-proxy from the npm registry, at the
#   versions of proxy/package-lock.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bash "$here/../setup-venv.sh" "$here/.venv-yarnspawner" "$here/requirements-yarnspawner.txt" \
    "skein, yarnspawner, jupyterhub.app, jupyterhub.singleuser, pytest, pytest_timeout"
bash "$here/../setup-venv.sh" "$here/.venv" "$here/requirements.txt" \
    "skein, skein_yarnspawner, jupyterhub.app, jupyterhub.singleuser, pytest, pytest_timeout" \
    "$repo/python/skein-yarnspawner"
proxy="$here/proxy/node_modules/.bin/configurable-http-proxy"
wanted="$(node -p 'require(process.argv[1]).dependencies["configurable-http-proxy"]' \
    "$here/proxy/package.json")"
if [ "$("$proxy" --version 2>/dev/null)" != "$wanted" ]; then
    npm ci --prefix "$here/proxy" --no-audit --no-fund --loglevel=error
    echo "configurable-http-proxy $("$proxy" --version) installed in $here/proxy"
fi
