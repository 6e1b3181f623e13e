#!/usr/bin/env bash
# Creates or updates a test venv from a pinned requirements file; the test suites' own
# setup-venv.sh scripts call it.
# Usage: tests/setup-venv.sh VENV REQUIREMENTS IMPORTS [LOCAL_PACKAGE...]
#   IMPORTS: a Python `import` statement's list of modules, checked after installing.
#   LOCAL_PACKAGE: a project directory of this repository, installed editable (no dependencies:
#   they are pinned in REQUIREMENTS).
# Idempotent: a venv where every package of REQUIREMENTS is installed (at its pinned version when
# pinned), every LOCAL_PACKAGE is installed from its directory and IMPORTS import is left alone;
# otherwise pip installs them into it. PYTHON picks the interpreter of a new venv.
set -euo pipefail
venv="$1"
requirements="$2"
imports="$3"
shift 3
python="${PYTHON:-python3}"
installed() {
    "$venv/bin/python" -W ignore -c '
import json, os, re, sys
from importlib.metadata import PackageNotFoundError, distribution, version
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
for project in sys.argv[3:]:
    name = re.search(r"^name\s*=\s*\"([^\"]+)\"", open(os.path.join(project, "pyproject.toml")).read(), re.M).group(1)
    try:
        url = json.loads(distribution(name).read_text("direct_url.json") or "{}").get("url", "")
    except PackageNotFoundError:
        sys.exit("%s is not installed" % name)
    if url != "file://" + project:
        sys.exit("%s is not installed from %s" % (name, project))
exec("import " + sys.argv[2])
' "$requirements" "$imports" "$@"
}
if [ -x "$venv/bin/python" ] && installed 2>/dev/null; then
    exit 0
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
for project in "$@"; do
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e "$project"
done
installed "$@"
echo "$(basename "$requirements") installed in $venv"
