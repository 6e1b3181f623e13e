#!/usr/bin/env bash
# Creates tests/python/.venv from requirements.txt: the unchanged Python `skein` client pinned to
# 0.8.2, dask-yarn with the dask/distributed it runs with, and pytest (tests/setup-venv.sh:
# left alone when already complete).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../setup-venv.sh" "$here/.venv" "$here/requirements.txt" \
    "skein, dask_yarn, dask.array, distributed, pytest, pytest_timeout, prometheus_client"
