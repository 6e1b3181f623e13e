"""The unchanged Python `skein` 0.8.2 client and CLI against the skein-rs driver.

The driver lifecycle (spawning a private driver through Python's java launch handshake, ping,
closing, logging, the global driver commands, credentials written by either side) and the
Python CLI's application commands, against the real test cluster (HADOOP_CONF_DIR is the
cluster `scripts/run-tests` started). The Python API's calls to the driver and the AM are in
test_driver.py, test_appmaster.py and test_kv.py.
"""
import os

import pytest
import skein

from conftest import (CONFIG_DIR, PYTHON_SKEIN_CLI, SKEIN_RS, needs_cluster, process_alive, run,
                      wait_until_dead)


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")


def test_client_spawns_the_skein_rs_driver_pings_and_closes_it():
    client = skein.Client()
    pid = client._proc.pid
    argv = cmdline(pid)
    assert argv[0].endswith(b"skein") and b"jvm-compat" in argv, argv
    assert b"com.anaconda.skein.Driver" in argv
    client.close()  # closes the driver's stdin and waits for it
    assert client._proc.returncode == 0
    assert not process_alive(pid)


@needs_cluster
def test_python_cli_application_commands_against_the_global_driver():
    code, _, err = run(PYTHON_SKEIN_CLI, "driver", "start")
    assert code == 0, err
    code, out, err = run(PYTHON_SKEIN_CLI, "application", "ls", "--all")
    assert code == 0, err
    assert out.splitlines()[0].split() == [
        "APPLICATION_ID", "NAME", "STATE", "STATUS", "CONTAINERS", "VCORES", "MEMORY", "RUNTIME"]
    code, _, err = run(PYTHON_SKEIN_CLI, "application", "status", "nope")
    assert code == 1 and err == "Error: Invalid ApplicationId 'nope'", err
    code, _, err = run(PYTHON_SKEIN_CLI, "application", "kill", "application_1_9999")
    assert code == 1 and err == "Error: Unknown ApplicationId 'application_1_9999'", err

    # A real application, submitted through the global driver, seen and killed by Python's CLI.
    spec = skein.ApplicationSpec(
        name="python-cli", services={"s": skein.Service(resources=skein.Resources("32 MiB", 1),
                                                         script="sleep 600")})
    app_id = skein.Client.from_global_driver().submit(spec)
    code, out, err = run(PYTHON_SKEIN_CLI, "application", "status", app_id)
    assert code == 0, err
    row = out.splitlines()[1].split()
    assert row[0] == app_id and row[1] == "python-cli", out
    code, out, err = run(PYTHON_SKEIN_CLI, "application", "ls")
    assert app_id in out, out
    code, _, err = run(PYTHON_SKEIN_CLI, "application", "kill", app_id)
    assert code == 0, err
    code, out, err = run(PYTHON_SKEIN_CLI, "application", "status", app_id)
    assert out.splitlines()[1].split()[2] in ("KILLED", "FAILED"), out


def test_driver_log_is_info_by_default_and_debug_via_java_options(tmp_path):
    default_log = tmp_path / "default.log"
    skein.Client(log=str(default_log)).close()
    text = default_log.read_text()
    assert "INFO" in text
    assert "DEBUG" not in text
    assert "WARN" not in text

    debug_log = tmp_path / "debug.log"
    # Python puts -Dskein.log.level=INFO first; the lower-case java option comes last and wins.
    skein.Client(log=str(debug_log), java_options=["-Dskein.log.level=debug"]).close()
    assert "DEBUG" in debug_log.read_text()

    level_log = tmp_path / "level.log"
    skein.Client(log=str(level_log), log_level="debug").close()
    assert "DEBUG" in level_log.read_text()


def test_python_cli_starts_addresses_and_stops_the_global_driver():
    code, address, err = run(PYTHON_SKEIN_CLI, "driver", "start")
    assert code == 0, err
    assert address.startswith("127.0.0.1:")
    assert run(PYTHON_SKEIN_CLI, "driver", "start")[1] == address  # idempotent
    assert run(PYTHON_SKEIN_CLI, "driver", "address")[1] == address
    pid = int(run(PYTHON_SKEIN_CLI, "driver", "pid")[1])
    assert b"jvm-compat" in cmdline(pid)

    client = skein.Client.from_global_driver()
    assert client.address == address
    client.close()

    code, _, err = run(PYTHON_SKEIN_CLI, "driver", "stop")
    assert code == 0, err
    wait_until_dead(pid)
    code, _, err = run(PYTHON_SKEIN_CLI, "driver", "address")
    assert code == 1
    assert err == "Error: No skein driver is running"


def test_rust_and_python_clis_share_one_global_driver():
    code, address, err = run(SKEIN_RS, "driver", "start")
    assert code == 0, err
    assert run(PYTHON_SKEIN_CLI, "driver", "address")[1] == address
    assert run(PYTHON_SKEIN_CLI, "driver", "start")[1] == address
    pid = int(run(PYTHON_SKEIN_CLI, "driver", "pid")[1])

    with skein.Client.from_global_driver() as client:
        assert client.address == address

    code, _, err = run(PYTHON_SKEIN_CLI, "driver", "stop")
    assert code == 0, err
    wait_until_dead(pid)
    code, _, err = run(SKEIN_RS, "driver", "address")
    assert (code, err) == (1, "Error: No skein driver is running")


def test_credentials_written_by_python_serve_a_rust_driver(tmp_path):
    config = str(tmp_path / "python-written")
    security = skein.Security.new_credentials().to_directory(config)
    env = dict(os.environ, SKEIN_CONFIG=config)
    code, address, err = run(SKEIN_RS, "driver", "start", env=env)
    assert code == 0, err
    try:
        with skein.Client(address=address, security=security) as client:
            assert client.address == address
        # A foreign key pair is refused.
        with pytest.raises(skein.exceptions.ConnectionError):
            skein.Client(address=address, security=skein.Security.new_credentials())
    finally:
        run(SKEIN_RS, "driver", "stop", env=env)


def test_credentials_written_by_rust_serve_the_python_client(tmp_path):
    config = str(tmp_path / "rust-written")
    env = dict(os.environ, SKEIN_CONFIG=config)
    code, _, err = run(SKEIN_RS, "config", "gencerts", env=env)
    assert code == 0, err
    code, _, err = run(SKEIN_RS, "config", "gencerts", env=env)
    assert code == 1
    assert err == "Error: 'skein.crt' file already exists, use `--force` to overwrite"
    # Python reads the files and spawns a driver with them through the launch handshake.
    security = skein.Security.from_directory(config)
    with skein.Client(security=security) as client:
        assert client.address.startswith("127.0.0.1:")


def test_config_dir_is_shared():
    assert skein.properties.config_dir == CONFIG_DIR
