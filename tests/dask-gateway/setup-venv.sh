#!/usr/bin/env bash
# Creates tests/dask-gateway/.venv from requirements.txt: dask-gateway's server (YARN backend)
# and client with today's dask/distributed, on the unchanged Python `skein` 0.8.2, and pytest.
# Idempotent: a venv where every package of requirements.txt is installed at its pinned version
# and importable is left alone; otherwise pip installs requirements.txt into it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
installed() {
    "$venv/bin/python" -W ignore -c '
import re, sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    req = line.split("#", 1)[0].strip()
    if not req:
        continue
    name, _, pinned = req.partition("==")
    name = re.sub(r"\[.*\]", "", name)
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit("%s is not installed" % name)
    if pinned and have != pinned:
        sys.exit("%s is %s, not %s" % (name, have, pinned))
import skein, dask_gateway, dask_gateway_server.backends.yarn, dask.array, distributed
import pytest, pytest_timeout
' "$here/requirements.txt"
}
if [ -x "$venv/bin/python" ] && installed 2>/dev/null; then
    exit 0
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
installed
"$venv/bin/python" -c 'import dask_gateway_server, skein; print("dask-gateway-server", dask_gateway_server.__version__, "and skein", skein.__version__, "installed in", "'"$venv"'")'
