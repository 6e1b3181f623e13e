"""Helpers shared by the Python suites that run a project built on `skein` (dask-gateway,
JupyterHub) against skein-rs and the test cluster of HADOOP_CONF_DIR.

`use_skein_rs(root)` must run before the suite imports `skein`: it points the unchanged Python
client at skein-rs (docs/python-interop.md, route 2: a JAVA_HOME whose bin/java runs the
skein-rs driver) and gives the test process a skein configuration of its own.

On a Kerberized cluster (`hadoop.security.authentication=kerberos` in HADOOP_CONF_DIR), the
test principal and keytab are SKEIN_TEST_PRINCIPAL/SKEIN_TEST_KEYTAB, whose short name is then
`USER`, and YARN's REST APIs are read with SPNEGO (`curl --negotiate`, from the ticket cache).
"""
import getpass
import json
import os
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ElementTree

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKEIN_RS = os.environ.get("SKEIN_BIN", os.path.join(REPO, "target", "debug", "skein"))

needs_cluster = pytest.mark.skipif(
    not os.environ.get("HADOOP_CONF_DIR"), reason="needs the test cluster (HADOOP_CONF_DIR)")


def hadoop_conf(name, site="yarn-site.xml"):
    """A property of the test cluster's configuration (None when unset)."""
    root = ElementTree.parse(os.path.join(os.environ["HADOOP_CONF_DIR"], site))
    for prop in root.iter("property"):
        if prop.findtext("name") == name:
            return prop.findtext("value")
    return None


SECURE = bool(os.environ.get("HADOOP_CONF_DIR")) and hadoop_conf(
    "hadoop.security.authentication", "core-site.xml") == "kerberos"
if SECURE:
    try:
        PRINCIPAL = os.environ["SKEIN_TEST_PRINCIPAL"]
        KEYTAB = os.environ["SKEIN_TEST_KEYTAB"]
    except KeyError as missing:
        raise RuntimeError("a Kerberized cluster needs %s: eval \"$(scripts/cluster env "
                           "--secure)\"" % missing) from None
    USER = PRINCIPAL.split("@")[0].split("/")[0]
else:
    PRINCIPAL = KEYTAB = None
    USER = getpass.getuser()
# The user the test cluster lets `USER` impersonate (hadoop.proxyuser.<USER>.users).
OTHER_USER = "alice"


def use_skein_rs(root):
    """Points the unchanged Python `skein` at skein-rs for this process and its children: a
    JAVA_HOME shim in `root`, and a skein configuration of the test process's own."""
    if not os.access(SKEIN_RS, os.X_OK):
        raise RuntimeError("skein-rs binary not found at %r: run `cargo build` or set SKEIN_BIN"
                           % SKEIN_RS)
    os.environ["SKEIN_CONFIG"] = os.path.join(root, "skein-tests")
    for name in ("SKEIN_LOG_LEVEL", "SKEIN_DRIVER_JAVA_OPTIONS", "SKEIN_APPLICATION_ID"):
        os.environ.pop(name, None)
    java_home = os.path.join(root, "java-home")
    subprocess.run([SKEIN_RS, "driver", "install-python-shim", java_home], check=True,
                   stdout=subprocess.DEVNULL)
    os.environ["JAVA_HOME"] = java_home
    # The test process's key pair, written before its skein.Client needs it (which would warn).
    subprocess.run([SKEIN_RS, "config", "gencerts"], check=True, stdout=subprocess.DEVNULL)
    os.environ["PATH"] = os.path.join(java_home, "bin") + os.pathsep + os.environ["PATH"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=120, interval=0.2):
    """Polls `predicate` until it returns something truthy, which is returned."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, "timed out after %ss waiting for %s" % (timeout, what)
        time.sleep(interval)


def http_json(url):
    if SECURE:
        out = subprocess.run(["curl", "--silent", "--show-error", "--fail", "--negotiate",
                              "--user", ":", url], check=True, capture_output=True, timeout=30)
        return json.loads(out.stdout.decode())
    sep = "&" if "?" in url else "?"
    with urllib.request.urlopen("%s%suser.name=%s" % (url, sep, USER), timeout=30) as resp:
        return json.loads(resp.read().decode())


class Yarn:
    """The ResourceManager's and the NodeManager's own REST APIs: what YARN itself says,
    independently of skein."""

    def __init__(self):
        self.rm = "http://" + hadoop_conf("yarn.resourcemanager.webapp.address")
        (node,) = http_json(self.rm + "/ws/v1/cluster/nodes")["nodes"]["node"]
        self.nm = "http://" + node["nodeHTTPAddress"]

    def app(self, app_id):
        return http_json("%s/ws/v1/cluster/apps/%s" % (self.rm, app_id))["app"]

    def nm_containers(self, app_id):
        """The NodeManager's containers of `app_id`, by YARN container id."""
        listed = http_json(self.nm + "/ws/v1/node/containers")["containers"] or {}
        prefix = "container_%s_" % app_id[len("application_"):]
        return {c["id"]: c for c in listed.get("container", [])
                if c["id"].startswith(prefix)}


def child_pids(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def process_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return ") Z " not in f.read()
    except OSError:
        return False


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
