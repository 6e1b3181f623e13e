"""The Python wheel of skein-rs (`scripts/dist`, `make dist`), installed into a fresh venv next
to the unchanged Python `skein` client: its `skein` is skein-rs, finds the Java shim jar the
wheel installed, and runs an application on the real cluster; the Python client in the same venv
talks to the driver it started."""
import glob
import os
import subprocess
import sys
import tempfile

from conftest import REPO, needs_cluster

pytestmark = needs_cluster


def run(*args, env=None, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, env=env)
    if check:
        assert proc.returncode == 0, "%s failed:\n%s\n%s" % (args, proc.stdout, proc.stderr)
    return proc


def test_the_wheel_installs_beside_the_python_client_and_runs_an_application():
    # The development profile: the same layout as a release, without the release build.
    env = dict(os.environ, PROFILE="dev")
    built = run(os.path.join(REPO, "scripts", "dist"), env=env)
    wheels = glob.glob(os.path.join(REPO, "target", "dist", "skein_rs-*.whl"))
    assert len(wheels) == 1, built.stdout + built.stderr

    root = tempfile.mkdtemp(prefix="skein-wheel-")
    venv = os.path.join(root, "venv")
    run(sys.executable, "-m", "venv", venv)
    pip = os.path.join(venv, "bin", "pip")
    # The Python client first, then the wheel: its `skein` command is skein-rs.
    run(pip, "install", "--quiet", "--disable-pip-version-check", "skein==0.8.2", "setuptools")
    run(pip, "install", "--quiet", "--disable-pip-version-check", wheels[0])

    skein_bin = os.path.join(venv, "bin", "skein")
    clean = {k: v for k, v in os.environ.items() if k not in ("SKEIN_SHIM_JAR", "SKEIN_BIN")}
    clean["SKEIN_CONFIG"] = os.path.join(root, "config")
    assert run(skein_bin, "--version", env=clean).stdout.startswith("skein 0.1")
    paths = run(skein_bin, "config", "paths", env=clean).stdout
    jar = os.path.join(venv, "share", "skein-rs", "skein-shim.jar")
    assert "shim jar: %s\n" % os.path.realpath(jar) in paths, paths

    address = run(skein_bin, "driver", "start", env=clean).stdout.strip()
    try:
        example = os.path.join(REPO, "examples", "hello-world.yaml")
        app_id = run(skein_bin, "application", "submit", "--wait", example,
                     env=clean).stdout.strip()
        assert app_id.startswith("application_"), app_id
        assert run(skein_bin, "application", "wait", app_id, env=clean).returncode == 0
        # The Python client of the same venv, against the driver the wheel's skein started.
        code = ("import skein; c = skein.Client(address=%r, security="
                "skein.Security.from_directory(%r)); "
                "print(c.application_report(%r).final_status)"
                % (address, clean["SKEIN_CONFIG"], app_id))
        status = run(os.path.join(venv, "bin", "python"), "-W", "ignore", "-c", code,
                     env=clean).stdout.strip()
        assert status == "SUCCEEDED", status
    finally:
        run(skein_bin, "driver", "stop", env=clean, check=False)
