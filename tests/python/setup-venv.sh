#!/usr/bin/env bash
# Creates tests/python/.venv with the unchanged Python `skein` client pinned to 0.8.2, plus pytest.
# Idempotent: an existing venv with skein 0.8.2 importable is left alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import skein, pytest, pytest_timeout; assert skein.__version__ == "0.8.2"' 2>/dev/null; then
    exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'import skein; print("skein", skein.__version__, "installed in", "'"$venv"'")'
