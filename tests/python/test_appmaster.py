"""The unchanged Python `skein.ApplicationClient` against the skein-rs ApplicationMaster.

Specification, containers (scale by count and delta, add_container with env, kill, filters),
progress, proxied pages, the client inside containers (`ApplicationClient.from_current()`),
and the shutdown of an application: on `long_app` and `finished_app` (conftest.py), both
submitted through the skein-rs driver by a spawned `skein.Client`.
"""
import getpass
import json
import os
import urllib.request

import pytest
import skein

from conftest import (FINISHED_DIAGNOSTICS, LONG_APP_NAME, PYTHON, hadoop_conf, needs_cluster,
                      wait_for, wait_for_containers)

pytestmark = needs_cluster


def ids(containers):
    return [c.id for c in containers]


def test_connect_returns_a_client_of_the_running_application(client, long_app):
    report = client.application_report(long_app.id)
    assert report.state == "RUNNING"
    assert long_app.address == "%s:%d" % (report.host, report.port)
    again = client.connect(long_app.id, wait=False)
    assert (again.id, again.address) == (long_app.id, long_app.address)
    assert repr(again) == "ApplicationClient<%s, %s>" % (long_app.id, long_app.address)
    assert again.get_specification().name == LONG_APP_NAME


def test_get_specification_returns_the_submitted_spec(long_app):
    spec = long_app.get_specification()
    assert isinstance(spec, skein.ApplicationSpec)
    assert (spec.name, spec.queue, spec.tags) == (LONG_APP_NAME, "default", {"pytest", "long"})
    assert set(spec.services) == {"sleeper", "py"}
    sleeper, py = spec.services["sleeper"], spec.services["py"]
    assert (sleeper.resources.memory, sleeper.resources.vcores) == (32, 1)
    # As Skein's driver does, each service's script was staged as `.skein.sh`, and the spec
    # says how the AM runs it.
    assert sleeper.script == "bash .skein.sh ><LOG_DIR>/sleeper.log 2>&1"
    assert {".skein.sh", ".skein.crt", ".skein.pem"} <= set(sleeper.files)
    assert sleeper.max_restarts == 0 and sleeper.instances == 1
    # The driver adds its LANG to every service's env, as Skein's does.
    lang = {"LANG": os.environ["LANG"]} if os.environ.get("LANG") else {}
    assert py.env == dict(FROM_SPEC="py", **lang) and py.resources.memory == 64
    # Local files were staged on HDFS: the spec the AM serves names them there.
    assert py.files["in_container.py"].source.startswith("hdfs://")
    assert spec.master.env == {"FROM_SPEC": "master"}
    assert spec.master.script == "%s in_container.py\nsleep infinity" % PYTHON


def test_containers_and_master_see_skeins_environment(long_app, published):
    """What in_container.py saw in `py_0` and in the master script, as Skein sets it up."""
    py, master = published["py_0"], published["master"]
    assert py["errors"] == [] and master["errors"] == []
    for info in (py, master):
        assert info["application_id"] == long_app.id and info["app_id_matches"]
        assert info["appmaster_address"] == long_app.address
        assert {".skein.crt", ".skein.pem", "in_container.py"} <= set(info["files"])
        assert info["container_dir"] and info["container_dir"].endswith(info["yarn_container_id"])
        assert "CLASSPATH" not in info["env"]
    assert py["container_id"] == "py_0" and py["env"]["SKEIN_CONTAINER_ID"] == "py_0"
    assert py["resources"] == [64, 1]
    assert py["env"]["FROM_SPEC"] == "py"
    # The master script: no SKEIN_CONTAINER_ID; the AM container's resources.
    assert master["container_id"] is None and "SKEIN_CONTAINER_ID" not in master["env"]
    assert master["env"]["FROM_SPEC"] == "master"
    assert master["resources"] is not None
    # The key py_0 owned was dropped when py_0 exited (exit 0: SUCCEEDED).
    assert py["owned"] == ["owned", "py_0"]
    assert published["py_0.owned after exit"] is None
    done = published["py_0 container"]
    assert (done.id, done.state, done.exit_message) == (
        "py_0", "SUCCEEDED", "Completed successfully.")
    assert done.yarn_container_id == py["yarn_container_id"]
    assert done.finish_time >= done.start_time


def test_add_container_with_env_overrides(app):
    before = {c.id for c in app.get_containers(services=["py"], states=["SUCCEEDED"])}
    events = app.kv.events(prefix="py_")  # before the container can put anything
    container = app.add_container("py", env={"MYENV": "from add_container"})
    assert container.service_name == "py" and container.id not in before
    assert container.state in ("WAITING", "REQUESTED")
    info = json.loads(app.kv.wait(container.id + ".info").decode())
    assert info["errors"] == []
    assert info["env"]["MYENV"] == "from add_container"
    assert info["env"]["FROM_SPEC"] == "py"  # the service's env, then the overrides
    assert info["container_id"] == container.id
    # The container's key: put while it ran, deleted when it exited.
    owned = container.id + ".owned"
    seen = []
    while len(seen) < 2:
        event = events.get(timeout=60)
        if event.key == owned:
            seen.append((str(event.event_type), event.result))
    assert seen == [("PUT", (b"owned", container.id)), ("DELETE", None)]
    with pytest.raises(ValueError, match="^Unknown service 'missing'$"):
        app.add_container("missing", env={"A": "b"})


def test_scale_by_count_and_delta_and_kill_containers(app):
    (first,) = app.get_containers(services=["sleeper"])
    added = app.scale("sleeper", 3)
    assert len(added) == 2 and all(c.state == "REQUESTED" for c in added)
    running = wait_for_containers(app, 3, services=["sleeper"], states=["RUNNING"])
    assert ids(running)[0] == first.id
    assert app.scale("sleeper", 3) == []  # already there
    # Scaling down stops the oldest first.
    stopped = app.scale("sleeper", 1)
    assert len(stopped) == 2 and stopped[0].id == first.id  # the longest running first
    assert all(c.state == "KILLED" for c in stopped)
    assert all(c.exit_message == "Killed by user request." for c in stopped)
    (left,) = app.get_containers(services=["sleeper"])
    assert sorted(ids(stopped) + [left.id]) == sorted(ids(running))

    added = app.scale("sleeper", delta=2)
    assert len(added) == 2
    assert len(app.get_containers(services=["sleeper"])) == 3
    assert len(app.scale("sleeper", delta=-1)) == 1
    assert len(app.get_containers(services=["sleeper"])) == 2
    # More than there are: all of them.
    assert len(app.scale("sleeper", delta=-5)) == 2
    assert app.get_containers(services=["sleeper"]) == []

    (new,) = app.scale("sleeper", count=1)
    app.kill_container(new.id)
    killed = app.get_containers(services=["sleeper"], states=["KILLED"])
    assert new.id in ids(killed)
    assert ids(killed) == sorted(ids(killed), key=lambda i: int(i.rsplit("_", 1)[1]))
    app.kill_container(new.id)  # killing it again does nothing
    assert app.get_containers(services=["sleeper"]) == []


def test_get_containers_filters(app):
    everything = app.get_containers(
        states=["WAITING", "REQUESTED", "RUNNING", "SUCCEEDED", "FAILED", "KILLED"])
    assert {c.service_name for c in everything} == {"sleeper", "py"}
    keys = [(c.service_name, c.instance) for c in everything]
    assert keys == sorted(keys)
    assert ids(app.get_containers(services=["py"], states=["SUCCEEDED"]))[0] == "py_0"
    assert "sleeper_0" in ids(app.get_containers(services=["sleeper"], states=["KILLED"]))
    # Default: the active ones.
    assert all(c.state in ("WAITING", "REQUESTED", "RUNNING") for c in app.get_containers())
    running = app.get_containers(states=["RUNNING"])
    assert all(c.yarn_container_id.startswith("container_") for c in running)
    assert all(c.yarn_node_http_address for c in running)


def test_container_errors_are_skeins(app):
    with pytest.raises(ValueError, match="^Unknown service 'missing'$"):
        app.get_containers(services=["sleeper", "missing"])
    with pytest.raises(ValueError, match="^Unknown service 'missing'$"):
        app.scale("missing", 2)
    with pytest.raises(ValueError, match="^Unknown service 'missing'$"):
        app.kill_container("missing_0")
    with pytest.raises(ValueError, match="^Service 'sleeper' has no container instance 500$"):
        app.kill_container("sleeper_500")
    # Checked by the Python client itself.
    with pytest.raises(ValueError, match="Invalid container id"):
        app.kill_container("nounderscore")
    with pytest.raises(ValueError, match="cannot specify both"):
        app.scale("sleeper", count=1, delta=1)


def test_set_progress_is_reported_to_yarn(client, app):
    app.set_progress(0.5)
    wait_for("progress 0.5 in the report",
             lambda: client.application_report(app.id).progress == 0.5, timeout=20)
    for bad in (-0.5, 1.5):
        with pytest.raises(ValueError, match="progress must be between 0 and 1"):
            app.set_progress(bad)


def fetch(url):
    """GET through the ResourceManager's proxy, as this user (simple authentication)."""
    sep = "&" if "?" in url else "?"
    with urllib.request.urlopen("%s%suser.name=%s" % (url, sep, getpass.getuser()),
                                timeout=30) as response:
        return response.read().decode()


def test_proxied_pages(app):
    ui = app.ui
    web = hadoop_conf("yarn.resourcemanager.webapp.address")
    assert ui.addresses == ("http://%s/proxy/%s/" % (web, app.id),)
    assert ui.address == ui.addresses[0] and ui.proxy_prefix == "/pages"
    assert ui.get_pages() == {}

    status = ui.add_page("status", "http://localhost:8787/status", link_name="Status")
    root = ui.add_page("root", "http://localhost:8787")
    assert status.address == ui.address + "pages/status"
    assert root.address == ui.address + "pages/root/"
    pages = ui.get_pages()
    assert pages == {"status": status, "root": root}
    assert pages["root"].link_name is None and pages["status"].link_name == "Status"
    assert pages["status"].target == "http://localhost:8787/status"
    # The AM's web UI at the address the client reports (the ResourceManager's proxy) links
    # the pages that have a link name, as Skein's does.
    overview = fetch(ui.address + "overview")
    assert "<title>" in overview and app.id in overview, overview
    assert 'href="./pages/status"' in overview, overview
    assert "./pages/root" not in overview, overview

    with pytest.raises(ValueError, match="^Page page routes must not contain '/'$"):
        ui.add_page("a/b", "http://localhost:1")
    with pytest.raises(ValueError, match="already exists"):
        ui.add_page("status", "http://localhost:1")
    with pytest.raises(ValueError, match="already exists"):
        ui.add_page("other", "http://localhost:1", link_name="Status")
    with pytest.raises(ValueError, match="is an invalid URL"):
        ui.add_page("other", "not a url")
    ui.remove_page("status")
    assert list(ui.get_pages()) == ["root"]
    with pytest.raises(ValueError, match="doesn't exist"):
        ui.remove_page("status")


def test_shutdown_delivers_buffered_events_then_connection_errors(finished_app):
    events = [finished_app.queue.get(timeout=10) for _ in range(3)]
    assert [(e.key, e.result.value, e.event_type) for e in events] == [
        ("a1", b"1", "PUT"), ("a2", b"2", "PUT"), ("a3", b"3", "PUT")]
    for _ in range(2):
        with pytest.raises(skein.exceptions.ConnectionError):
            finished_app.queue.get(timeout=10)
    # YARN may report the application finished a moment before the AM has stopped serving
    # (it unregisters first, then removes the staging directory and stops its server).
    def am_gone():
        try:
            finished_app.app.get_specification()
        except skein.exceptions.ConnectionError as exc:
            return str(exc)
    assert wait_for("the AM to stop", am_gone, timeout=20) == "Unable to connect to application"


def test_shutdown_status_and_diagnostics_reach_the_report(client, finished_app):
    report = client.application_report(finished_app.id)
    assert (report.state, report.final_status) == ("FINISHED", "KILLED")
    assert report.diagnostics == FINISHED_DIAGNOSTICS
    assert report.finish_time >= report.start_time
    with pytest.raises(skein.exceptions.ApplicationNotRunningError,
                       match="%s is not running. Application state: FINISHED" % finished_app.id):
        client.connect(finished_app.id)
