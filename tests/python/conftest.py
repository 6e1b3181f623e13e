"""Fixtures for running the unchanged Python `skein` 0.8.2 client against skein-rs.

`skein.properties` reads SKEIN_CONFIG when `skein` is imported, so the configuration
directory is fixed here, before any test module imports `skein`.
"""
import os
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKEIN_RS = os.environ.get("SKEIN_BIN", os.path.join(REPO, "target", "debug", "skein"))
VENV_BIN = os.path.dirname(os.path.abspath(os.sys.executable))
PYTHON_SKEIN_CLI = os.path.join(VENV_BIN, "skein")

_ROOT = tempfile.mkdtemp(prefix="skein-rs-python-")
CONFIG_DIR = os.path.join(_ROOT, "config")
JAVA_HOME = os.path.join(_ROOT, "java-home")

os.environ["SKEIN_CONFIG"] = CONFIG_DIR
for name in ("SKEIN_LOG_LEVEL", "SKEIN_DRIVER_JAVA_OPTIONS", "SKEIN_APPLICATION_ID"):
    os.environ.pop(name, None)

if not os.access(SKEIN_RS, os.X_OK):
    raise RuntimeError("skein-rs binary not found at %r: run `cargo build` or set SKEIN_BIN"
                       % SKEIN_RS)

# Route (b)+(c) of docs/python-interop.md: a JAVA_HOME whose bin/java runs skein-rs.
subprocess.run([SKEIN_RS, "driver", "install-python-shim", JAVA_HOME], check=True,
               stdout=subprocess.DEVNULL)
os.environ["JAVA_HOME"] = JAVA_HOME
os.environ["PATH"] = os.path.join(JAVA_HOME, "bin") + os.pathsep + os.environ["PATH"]


def run(*args, env=None):
    """Runs a command, returning (returncode, stdout, stderr) as stripped text."""
    proc = subprocess.run(list(args), capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


def process_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return ") Z " not in f.read()
    except OSError:
        return False


def wait_until_dead(pid, timeout=10):
    deadline = time.time() + timeout
    while process_alive(pid):
        assert time.time() < deadline, "process %d still alive" % pid
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def no_global_driver_left():
    """Every test starts and ends without a global driver."""
    run(SKEIN_RS, "driver", "stop", "--force")
    yield
    run(SKEIN_RS, "driver", "stop", "--force")
