"""The unchanged Python `skein.Client` against the skein-rs driver and YARN.

Global and spawned drivers, nodes, queues, applications (filters, reports, logs), and the
errors of bad calls, with Skein's exception types and messages. The applications are
`long_app` and `finished_app` (conftest.py).
"""
import datetime
import json
import os
import pickle
import urllib.request

import pytest
import skein

from conftest import (FINISHED_APP_NAME, LONG_APP_NAME, USER, hadoop_conf, needs_cluster,
                      wait_for)

pytestmark = needs_cluster


def ids(reports):
    return [r.id for r in reports]


def test_global_driver_started_and_found_by_python():
    address = skein.Client.start_global_driver()
    try:
        assert skein.Client.start_global_driver() == address  # idempotent
        client = skein.Client.from_global_driver()
        assert client.address == address and client._proc is None
        assert client.get_nodes()[0].state == "RUNNING"
        client.close()
    finally:
        skein.Client.stop_global_driver()
    with pytest.raises(skein.exceptions.DriverNotRunningError,
                       match="No driver currently running"):
        skein.Client.from_global_driver()


def test_spawned_client_can_be_shared_pickled_and_closed():
    spawned = skein.Client()
    try:
        other = skein.Client(address=spawned.address, security=spawned.security)
        assert other._proc is None
        assert other.get_applications(states=["KILLED"]) == spawned.get_applications(
            states=["KILLED"])
        copy = pickle.loads(pickle.dumps(spawned))
        assert (copy.address, copy._proc) == (spawned.address, None)
        assert copy.get_queue("default").name == "default"
    finally:
        spawned.close()
    spawned.close()  # idempotent
    with pytest.raises(skein.exceptions.ConnectionError, match="Unable to connect to driver"):
        other.get_nodes()
    with pytest.raises(skein.exceptions.ConnectionError):
        skein.Client(address=spawned.address, security=spawned.security)


def test_get_nodes(client):
    (node,) = client.get_nodes()
    assert node.state == "RUNNING"
    assert node.id == "%s:%d" % (node.host, node.port)
    assert (node.total_resources.memory, node.total_resources.vcores) == (16384, 64)
    assert node.http_address and node.rack_name
    assert client.get_nodes(states=["RUNNING"]) == [node]
    assert client.get_nodes(states=["SHUTDOWN", "LOST"]) == []
    assert [n.id for n in client.get_nodes(states=["SHUTDOWN", "RUNNING"])] == [node.id]


def test_queues(client):
    # YARN's getAllQueues: every queue below root, not root itself.
    assert sorted(q.name for q in client.get_all_queues()) == [
        "apples", "bananas", "default", "fruit"]
    assert sorted(q.name for q in client.get_child_queues("root")) == ["default", "fruit"]
    assert sorted(q.name for q in client.get_child_queues("fruit")) == ["apples", "bananas"]
    assert client.get_child_queues("default") == []
    default = client.get_queue("default")
    assert (default.name, default.state) == ("default", "RUNNING")
    assert 0 < default.capacity <= 100 and 0 < default.max_capacity <= 100
    assert default.percent_used >= 0
    assert client.get_queue("root").name == "root"
    for call in (client.get_queue, client.get_child_queues):
        with pytest.raises(ValueError) as exc:
            call("missing")
        assert str(exc.value) == "Queue 'missing' does not exist"


def test_application_report(client, long_app):
    report = client.application_report(long_app.id)
    assert (report.id, report.name, report.user) == (long_app.id, LONG_APP_NAME, USER)
    # Hadoop 3.4 reports the full path of the queue (YARN's own report says so too).
    assert report.queue == "root.default" and report.tags == {"pytest", "long"}
    assert report.state == "RUNNING" and report.final_status == "UNDEFINED"
    assert "%s:%d" % (report.host, report.port) == long_app.address
    assert report.start_time is not None and report.finish_time is None
    assert report.usage.num_used_containers >= 2  # the AM and a sleeper at least
    assert report.usage.used_resources.memory >= 32 + 32
    assert report.diagnostics == ""


def test_get_applications_filters(client, long_app, finished_app):
    everything = ["NEW", "NEW_SAVING", "SUBMITTED", "ACCEPTED", "RUNNING", "FINISHED", "FAILED",
                  "KILLED"]
    running = client.get_applications()
    assert long_app.id in ids(running) and finished_app.id not in ids(running)
    assert ids(running) == sorted(ids(running))
    assert ids(client.get_applications(name=LONG_APP_NAME)) == [long_app.id]
    assert client.get_applications(name=LONG_APP_NAME, states=["FINISHED"]) == []
    assert ids(client.get_applications(name=FINISHED_APP_NAME, states=["finished"])) == [
        finished_app.id]
    both = ids(client.get_applications(states=everything))
    assert long_app.id in both and finished_app.id in both and both == sorted(both)
    assert long_app.id in ids(client.get_applications(queue="default"))
    assert client.get_applications(queue="apples", name=LONG_APP_NAME) == []
    assert long_app.id in ids(client.get_applications(user=USER))
    assert client.get_applications(user="not-a-user") == []

    # Time ranges, inclusive, on the finished application's report.
    report = client.application_report(finished_app.id)
    second = datetime.timedelta(seconds=1)
    mine = dict(name=FINISHED_APP_NAME, states=everything)
    assert ids(client.get_applications(started_begin=report.start_time - second, **mine)) == [
        finished_app.id]
    assert client.get_applications(started_begin=report.start_time + second, **mine) == []
    assert client.get_applications(started_end=report.start_time - second, **mine) == []
    assert ids(client.get_applications(finished_end=report.finish_time + second, **mine)) == [
        finished_app.id]
    assert client.get_applications(finished_begin=report.finish_time + second, **mine) == []
    assert ids(client.get_applications(
        finished_begin=(report.finish_time - second).strftime("%Y-%m-%d %H:%M:%S"),
        **mine)) == [finished_app.id]


def test_application_logs_of_a_finished_application(client, finished_app):
    def logs():
        try:
            found = client.application_logs(finished_app.id)
        except ValueError:  # not aggregated yet
            return None
        text = found.dumps()
        return found if "hello from echo_0" in text else None

    logs = wait_for("the aggregated logs", logs, timeout=60, interval=0.5)
    assert repr(logs) == "ApplicationLogs<%s>" % finished_app.id
    assert len(logs) == 2 and all(k.startswith("container_") for k in logs)
    text = logs.dumps()
    assert text.startswith("** Logs for %s **" % finished_app.id)
    assert "application.master.log" in text and "echo.log" in text
    assert "hello from echo_0" in text


def test_application_errors_are_skeins(client, long_app):
    for call in (client.application_report, client.kill_application, client.connect,
                 client.application_logs, lambda i: client.move_application(i, "default")):
        with pytest.raises(ValueError) as exc:
            call("nope")
        assert str(exc.value) == "Invalid ApplicationId 'nope'"
        with pytest.raises(ValueError) as exc:
            call("application_1_9999")
        assert str(exc.value) == "Unknown ApplicationId 'application_1_9999'"
    with pytest.raises(ValueError) as exc:
        client.application_logs(long_app.id)
    assert str(exc.value) == (
        "Application %s has not completed, logs are not available" % long_app.id)


def submit_yarn_app(name):
    """A plain YARN application (type YARN), through the ResourceManager's REST API."""
    base = "http://%s/ws/v1/cluster/apps" % hadoop_conf("yarn.resourcemanager.webapp.address")
    auth = "?user.name=%s" % USER

    def post(url, body):
        request = urllib.request.Request(url + auth, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    app_id = post(base + "/new-application", {})["application-id"]
    post(base, {"application-id": app_id, "application-name": name,
                "application-type": "YARN", "max-app-attempts": 1,
                "am-container-spec": {"commands": {"command": "true"}},
                "resource": {"memory": 32, "vCores": 1}})
    return app_id


def test_other_applications_are_not_skeins(client):
    other = submit_yarn_app("not-skein")
    message = "ApplicationId '%s' is not a skein application" % other
    for call in (client.application_report, client.kill_application, client.connect,
                 client.application_logs):
        with pytest.raises(ValueError) as exc:
            call(other)
        assert str(exc.value) == message
    everything = ["ACCEPTED", "RUNNING", "FINISHED", "FAILED", "KILLED", "SUBMITTED"]
    assert other not in ids(client.get_applications(states=everything))


def test_submit_errors(client):
    with pytest.raises(skein.exceptions.DriverError,
                       match="exceeds the cluster's maximum of 64 vcores"):
        client.submit(skein.ApplicationSpec(
            services={"s": skein.Service(resources=skein.Resources("32 MiB", 65), script="x")}))
    with pytest.raises(skein.exceptions.DriverError, match="16384"):
        client.submit(skein.ApplicationSpec(
            master=skein.Master(resources=skein.Resources("32 GiB", 1), script="x")))
    # Checked by the Python client before any call.
    with pytest.raises(ValueError, match="There must be at least one service"):
        client.submit(skein.ApplicationSpec())
    # A spec above the 4 MiB limit of spec files (gRPC's own message limit too): refused
    # naming its size, the limit and the fix, where it used to fail as a bare gRPC error.
    script = "echo 0123456789\n" * 350_000
    with pytest.raises(skein.exceptions.DriverError) as exc:
        client.submit(skein.ApplicationSpec(
            services={"s": skein.Service(resources=skein.Resources("32 MiB", 1), script=script)}))
    message = str(exc.value)
    assert "skein-rs takes specs of at most 4 MiB, as for a spec file" in message, message
    assert "files the application localizes" in message, message


def test_submit_move_and_kill(client):
    spec = skein.ApplicationSpec(
        name="pytest-kill-%d" % os.getpid(), queue="bananas", tags={"py"},
        services={"s": skein.Service(resources=skein.Resources("32 MiB", 1),
                                     script="sleep infinity")})
    app_id = client.submit(spec)
    app = client.connect(app_id)  # waits until RUNNING
    report = client.application_report(app_id)
    assert (report.name, report.queue, report.tags) == (spec.name, "root.fruit.bananas", {"py"})
    client.move_application(app_id, "apples")
    assert client.application_report(app_id).queue == "root.fruit.apples"
    with pytest.raises(ValueError, match="Leaf") as exc:
        client.move_application(app_id, "fruit")
    assert "org.apache.hadoop" not in str(exc.value)
    with pytest.raises(ValueError, match="doesn't exist"):
        client.move_application(app_id, "missing")

    client.kill_application(app_id)
    report = wait_for("the kill", lambda: (lambda r: r if r.state == "KILLED" else None)(
        client.application_report(app_id)))
    assert report.final_status == "KILLED"
    with pytest.raises(skein.exceptions.ApplicationNotRunningError,
                       match="%s is not running. Application state: KILLED" % app_id):
        client.connect(app_id)
    # YARN reports KILLED before the NodeManager has stopped the AM's container.
    def am_gone():
        try:
            app.get_specification()
        except skein.exceptions.ConnectionError:
            return True
    wait_for("the AM to be gone", am_gone, timeout=20)
    with pytest.raises(ValueError, match="cannot be moved"):
        client.move_application(app_id, "default")
