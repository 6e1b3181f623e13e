"""Runs inside the containers of the tests' applications (a service, or the master script).

Reports what the unchanged Python client sees there: `skein.properties`, the environment the
skein-rs AM set, the localized files. It talks to the AM with
`ApplicationClient.from_current()` (the way dask-yarn's scheduler and workers do), puts a key
`<name>.owned` owned by its container, then publishes `<name>.info` (JSON), where `<name>` is
the skein container id, or `master` for the master script. Errors are published too, so that
a test waiting for `<name>.info` does not wait forever.
"""
import json
import os
import sys
import traceback

import skein

props = skein.properties
name = props.container_id or "master"
app = skein.ApplicationClient.from_current()
info = {"errors": []}
try:
    resources = props.container_resources
    info.update(
        application_id=props.application_id,
        appmaster_address=props.appmaster_address,
        container_id=props.container_id,
        yarn_container_id=props.yarn_container_id,
        container_dir=props.container_dir,
        resources=None if resources is None else [resources.memory, resources.vcores],
        env={k: v for k, v in os.environ.items()
             if k.startswith("SKEIN_") or k in ("MYENV", "FROM_SPEC", "CLASSPATH")},
        files=sorted(os.listdir(".")),
        app_id_matches=app.id == props.application_id,
    )
    if props.container_id:
        app.kv.put(name + ".owned", value=b"owned", owner=props.container_id)
        info["owned"] = list(app.kv.get(name + ".owned", return_owner=True))
        info["owned"][0] = info["owned"][0].decode()
except Exception:
    info["errors"].append(traceback.format_exc())
app.kv[name + ".info"] = json.dumps(info).encode()
sys.exit(1 if info["errors"] else 0)
