"""dask-gateway's YARN backend, unchanged, deploying Dask clusters through skein-rs.

The gateway server (conftest's `gateway_server`) submits one YARN application per Dask
cluster through its skein client: the application master runs the scheduler, each worker is a
container of service `dask.worker` that the gateway adds (`add_container`) and removes
(`kill_container`) through the ApplicationMaster. Each test checks the Dask side against what
the skein-rs ApplicationMaster and YARN itself (the ResourceManager's and NodeManager's REST
APIs) report.
"""
import contextlib
import os
import signal

import aiohttp
import pytest
import skein

import remote
from conftest import (DEFAULT_WORKER_CORES, DEFAULT_WORKER_MIB, OTHER_USER, SECURE, USER,
                      needs_cluster, wait_for)

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = needs_cluster

WORKER_ENV = ("SKEIN_CONTAINER_ID", "CONTAINER_ID", "SKEIN_APPLICATION_ID",
              "SKEIN_RESOURCE_MEMORY", "SKEIN_RESOURCE_VCORES", "DASK_GATEWAY_WORKER_NAME",
              "USER", "HADOOP_TOKEN_FILE_LOCATION")


class YarnDaskCluster:
    """A gateway cluster, its Dask client, and the YARN application behind it."""

    def __init__(self, cluster, skein_client):
        self.cluster = cluster
        self.client = cluster.get_client(set_as_default=False)
        # The scheduler runs in the application master's container.
        env = self.client.run_on_scheduler(
            remote.environ, ["SKEIN_APPLICATION_ID", "DASK_GATEWAY_CLUSTER_NAME"])
        assert env["DASK_GATEWAY_CLUSTER_NAME"] == cluster.name, env
        self.app_id = env["SKEIN_APPLICATION_ID"]
        assert self.app_id and self.app_id.startswith("application_"), env
        report = skein_client.application_report(self.app_id)
        assert report.state == "RUNNING", report
        self.report = report
        # The gateway gives its users the cluster's TLS credentials; the YARN backend made
        # them the application's skein credentials too, so they open the AM.
        security = skein.Security(cert_bytes=cluster.security.tls_cert.encode(),
                                  key_bytes=cluster.security.tls_key.encode())
        self.app = skein.ApplicationClient("%s:%d" % (report.host, report.port), self.app_id,
                                           security=security)

    def workers(self):
        # (No "workers" when the client has lost the scheduler: none then.)
        return self.client.scheduler_info(n_workers=-1).get("workers", {})

    def wait_for_workers(self, n):
        """Waits until the scheduler has exactly `n` workers and the AM exactly `n` active
        `dask.worker` containers; returns the scheduler's workers."""
        wait_for("%d Dask workers and %d worker containers" % (n, n),
                 lambda: len(self.workers()) == n
                 and len(self.app.get_containers(services=["dask.worker"])) == n,
                 timeout=180)
        return self.workers()

    def check_workers_are_containers(self, n):
        """The Dask workers are exactly the running `dask.worker` containers the AM
        started for this application (their YARN and skein ids, in their environment);
        returns {worker address: its environment}."""
        workers = self.wait_for_workers(n)
        containers = {c.id: c for c in self.app.get_containers(services=["dask.worker"])}
        assert all(c.state == "RUNNING" for c in containers.values()), containers
        envs = self.client.run(remote.environ, WORKER_ENV)
        assert set(envs) == set(workers)
        for address, env in envs.items():
            container = containers.get(env["SKEIN_CONTAINER_ID"])
            assert container is not None, (env, containers)
            assert env["CONTAINER_ID"] == container.yarn_container_id, (env, container)
            assert env["SKEIN_APPLICATION_ID"] == self.app_id, env
            # The gateway names its workers; the backend passes the name to the container.
            assert workers[address]["name"] == env["DASK_GATEWAY_WORKER_NAME"], env
            if SECURE:
                # The delegation tokens the driver got at submission, passed on by the AM
                # (the NodeManager writes the file, empty of tokens, in any case).
                with open(env["HADOOP_TOKEN_FILE_LOCATION"], "rb") as f:
                    tokens = f.read()
                assert b"HDFS_DELEGATION_TOKEN" in tokens, (env, tokens)
        assert {e["SKEIN_CONTAINER_ID"] for e in envs.values()} == set(containers)
        return envs

    def close(self):
        self.client.close()
        self.app.close()


@contextlib.contextmanager
def yarn_dask_cluster(gateway, skein_client, **options):
    cluster = gateway.new_cluster(**options)
    try:
        c = YarnDaskCluster(cluster, skein_client)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.shutdown()


def compute_on_workers(c):
    """A computation with a known result; returns the addresses of the workers its tasks
    ran on."""
    n = 200_000
    x = da.arange(n, chunks=n // 8).sum()
    with distributed.get_task_stream(c.client) as tasks:
        assert c.client.compute(x).result() == n * (n - 1) // 2
    ran_on = {t["worker"] for t in tasks.data}
    assert ran_on, "no task was recorded"
    return ran_on


def wait_for_end(skein_client, app_id):
    def ended():
        r = skein_client.application_report(app_id)
        return r if r.state in ("FINISHED", "FAILED", "KILLED") else None
    return wait_for("%s to end" % app_id, ended, timeout=120)


def processes_of(yarn_container_ids):
    """PIDs of live processes on this machine running in one of these YARN containers."""
    wanted = {("CONTAINER_ID=" + c).encode() for c in yarn_container_ids}
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if wanted & set(f.read().split(b"\0")):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_new_cluster_computes_on_yarn_workers_and_scales(gateway, skein_client, yarn):
    with yarn_dask_cluster(gateway, skein_client) as c:
        report = c.report
        assert (report.name, report.user) == ("dask-gateway", USER), report
        assert yarn.app(c.app_id)["applicationType"] == "skein"
        spec = c.app.get_specification()
        assert set(spec.services) == {"dask.worker"}
        assert spec.services["dask.worker"].instances == 0
        assert c.app.get_containers(services=["dask.worker"]) == []

        c.cluster.scale(2)
        envs = c.check_workers_are_containers(2)
        assert compute_on_workers(c) <= set(envs)
        # Each worker's container is one the NodeManager runs for this application.
        running = {i for i, cont in yarn.nm_containers(c.app_id).items()
                   if cont["state"] == "RUNNING"}
        assert {e["CONTAINER_ID"] for e in envs.values()} <= running, running

        c.cluster.scale(3)
        envs3 = c.check_workers_are_containers(3)
        assert set(envs) < set(envs3)
        assert compute_on_workers(c) <= set(envs3)

        # Scaling down: the scheduler retires two workers, the gateway kills their containers.
        c.cluster.scale(1)
        (kept,) = c.check_workers_are_containers(1).values()
        gone = {e["SKEIN_CONTAINER_ID"] for e in envs3.values()} - {kept["SKEIN_CONTAINER_ID"]}
        killed = wait_for("two killed worker containers", lambda: (lambda cs: cs if len(cs) == 2
                          else None)(c.app.get_containers(services=["dask.worker"],
                                                          states=["KILLED"])))
        assert {k.id for k in killed} == gone
        assert {k.exit_message for k in killed} == {"Killed by user request."}
        assert compute_on_workers(c) == {next(iter(c.workers()))}


def test_cluster_options_reach_the_containers_resources(gateway, skein_client, yarn):
    options = gateway.cluster_options()
    assert (options.worker_cores, options.worker_memory_mib) == (
        DEFAULT_WORKER_CORES, DEFAULT_WORKER_MIB)
    options.worker_cores = 2
    options.worker_memory_mib = 640
    with yarn_dask_cluster(gateway, skein_client, cluster_options=options) as c:
        resources = c.app.get_specification().services["dask.worker"].resources
        assert (resources.memory, resources.vcores) == (640, 2)
        c.cluster.scale(1)
        (env,) = c.check_workers_are_containers(1).values()
        # What YARN allocated (the test cluster's 32 MiB increments leave 640 as it is).
        nm = yarn.nm_containers(c.app_id)[env["CONTAINER_ID"]]
        assert (nm["totalMemoryNeededMB"], nm["totalVCoresNeeded"]) == (640, 2), nm
        assert (env["SKEIN_RESOURCE_MEMORY"], env["SKEIN_RESOURCE_VCORES"]) == ("640", "2")
        # The backend starts `dask worker --nthreads $SKEIN_RESOURCE_VCORES
        # --memory-limit ${SKEIN_RESOURCE_MEMORY}MiB`.
        (worker,) = c.workers().values()
        assert (worker["nthreads"], worker["memory_limit"]) == (2, 640 * 2**20), worker
        assert compute_on_workers(c)

    # And the defaults, for a cluster without options.
    with yarn_dask_cluster(gateway, skein_client) as c:
        c.cluster.scale(1)
        (env,) = c.check_workers_are_containers(1).values()
        nm = yarn.nm_containers(c.app_id)[env["CONTAINER_ID"]]
        assert (nm["totalMemoryNeededMB"], nm["totalVCoresNeeded"]) == (
            DEFAULT_WORKER_MIB, DEFAULT_WORKER_CORES), nm
        (worker,) = c.workers().values()
        assert worker["nthreads"] == DEFAULT_WORKER_CORES


def test_two_users_see_only_their_own_clusters_and_run_as_themselves(
        gateway, other_gateway, skein_client, yarn):
    with yarn_dask_cluster(gateway, skein_client) as mine, \
            yarn_dask_cluster(other_gateway, skein_client) as theirs:
        assert mine.report.user == USER
        assert theirs.report.user == OTHER_USER
        assert yarn.app(theirs.app_id)["user"] == OTHER_USER
        assert {c.name for c in gateway.list_clusters()} == {mine.cluster.name}
        assert {c.name for c in other_gateway.list_clusters()} == {theirs.cluster.name}
        # Another user's cluster is forbidden: to connect to, to scale, to stop.
        for gw, cluster in ((other_gateway, mine.cluster), (gateway, theirs.cluster)):
            for action in (gw.connect, lambda name: gw.scale_cluster(name, 2),
                           gw.stop_cluster):
                with pytest.raises(aiohttp.ClientResponseError) as refused:
                    action(cluster.name)
                assert refused.value.status == 403, refused.value  # Forbidden
        for c in (mine, theirs):
            assert skein_client.application_report(c.app_id).state == "RUNNING"
            assert c.app.get_containers(services=["dask.worker"]) == []

        theirs.cluster.scale(1)
        (env,) = theirs.check_workers_are_containers(1).values()
        # The NodeManager runs the container for the application's user.
        assert env["USER"] == OTHER_USER, env
        assert compute_on_workers(theirs)
        # The refused scale changed nothing on the other cluster, by now.
        assert mine.workers() == {}
        assert mine.app.get_containers(services=["dask.worker"]) == []


def test_shutdown_ends_the_application_and_leaves_no_container(gateway, skein_client, yarn):
    with yarn_dask_cluster(gateway, skein_client) as c:
        c.cluster.scale(2)
        envs = c.check_workers_are_containers(2)
        app_id = c.app_id
        am_container = yarn.app(app_id)["amContainerLogs"].rstrip("/").split("/")[-2]
        yarn_ids = {e["CONTAINER_ID"] for e in envs.values()} | {am_container}
        assert len(processes_of(yarn_ids)) >= 3
        name = c.cluster.name
        c.cluster.shutdown()
        report = wait_for_end(skein_client, app_id)
    # dask-gateway's YarnBackend stops a cluster with `skein.Client.kill_application`, a YARN
    # kill, as with Java Skein.
    assert (report.state, report.final_status) == ("KILLED", "KILLED"), report
    assert name not in {cl.name for cl in gateway.list_clusters()}
    wait_for("no container of %s left on the NodeManager" % app_id,
             lambda: all(cont["state"] == "COMPLETE"
                         for cont in yarn.nm_containers(app_id).values()))
    wait_for("no process of %s left" % app_id, lambda: not processes_of(yarn_ids))
    assert yarn.app(app_id)["runningContainers"] in (0, -1)


def test_lost_worker_containers_are_replaced(gateway, skein_client):
    with yarn_dask_cluster(gateway, skein_client) as c:
        c.cluster.scale(2)
        before = c.check_workers_are_containers(2)

        # A worker container killed through YARN (the AM's kill_container, as an
        # administrator or a preemption would): the scheduler loses the worker, the gateway
        # marks it failed and starts another container.
        victim = sorted(e["SKEIN_CONTAINER_ID"] for e in before.values())[0]
        c.app.kill_container(victim)
        wait_for("a replacement for %s" % victim,
                 lambda: victim not in {e["SKEIN_CONTAINER_ID"] for e in
                                        c.client.run(remote.environ, WORKER_ENV).values()}
                 and len(c.workers()) == 2, timeout=180)
        after = c.check_workers_are_containers(2)
        (killed,) = c.app.get_containers(services=["dask.worker"], states=["KILLED"])
        assert killed.id == victim
        assert compute_on_workers(c) <= set(after)

        # A container whose processes all die (SIGKILL to its process group): the gateway
        # replaces its worker too. The scheduler sees the worker go at once and the gateway
        # then kills its container, so whether the AM records the container FAILED (YARN's
        # report came first) or KILLED (the gateway's kill came first) is a race, as on Java
        # Skein; either way it is no longer running.
        address, env = sorted(after.items())[0]
        pgid = c.client.run(remote.process_group, workers=[address])[address]
        os.killpg(pgid, signal.SIGKILL)
        crashed = env["SKEIN_CONTAINER_ID"]
        wait_for("%s to end" % crashed, lambda: crashed in {
            x.id for x in c.app.get_containers(services=["dask.worker"],
                                               states=["FAILED", "KILLED"])})
        assert not processes_of([env["CONTAINER_ID"]])
        wait_for("a replacement for %s" % crashed,
                 lambda: crashed not in {e["SKEIN_CONTAINER_ID"] for e in
                                         c.client.run(remote.environ, WORKER_ENV).values()}
                 and len(c.workers()) == 2, timeout=180)
        final = c.check_workers_are_containers(2)
        assert not {e["SKEIN_CONTAINER_ID"] for e in final.values()} & {victim, crashed}
        assert compute_on_workers(c) <= set(final)
