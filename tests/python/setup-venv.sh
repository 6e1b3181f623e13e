#!/usr/bin/env bash
# Creates tests/python/.venv from requirements.txt: the unchanged Python `skein` client pinned to
# 0.8.2, dask-yarn with the dask/distributed it runs with, and pytest.
# Idempotent: a venv where every package of requirements.txt is installed (at its pinned version
# when pinned) and importable is left alone; otherwise pip installs requirements.txt into it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
installed() {
    "$venv/bin/python" -W ignore -c '
import sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    req = line.split("#", 1)[0].strip()
    if not req:
        continue
    name, _, pinned = req.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit("%s is not installed" % name)
    if pinned and have != pinned:
        sys.exit("%s is %s, not %s" % (name, have, pinned))
import skein, dask_yarn, dask.array, distributed, pytest, pytest_timeout, prometheus_client
' "$here/requirements.txt"
}
if [ -x "$venv/bin/python" ] && installed 2>/dev/null; then
    exit 0
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
installed
"$venv/bin/python" -c 'import skein; print("skein", skein.__version__, "installed in", "'"$venv"'")'
