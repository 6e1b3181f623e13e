package skeinrs.shim;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.yarn.api.protocolrecords.RegisterApplicationMasterResponse;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.LocalResource;
import org.apache.hadoop.yarn.api.records.LocalResourceType;
import org.apache.hadoop.yarn.api.records.LocalResourceVisibility;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.URL;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.client.api.async.AMRMClientAsync;
import org.apache.hadoop.yarn.client.api.async.NMClientAsync;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;

/**
 * The skein-rs ApplicationMaster's bridge to YARN: AMRMClientAsync and NMClientAsync, driven by
 * newline-delimited JSON commands on stdin, reporting newline-delimited JSON events on stdout.
 * It holds no application logic; README.md documents the protocol.
 *
 * <p>The callback interfaces used are the Hadoop 2 ones (deprecated, still present in 3.x) and
 * only Hadoop 2.6+ record APIs, so that one jar runs on old and new clusters alike.
 */
@SuppressWarnings("deprecation")
public final class Shim {
  /** The pipe protocol version; both sides refuse a peer with another one. */
  static final long PROTOCOL = 1;

  /** This JVM's pid, in the container's working folder. */
  static final String PID_FILE = ".skein.shim-pid";
  /** The Rust process's exit status, written there by the AM container's command. */
  static final String EXIT_FILE = ".skein.am-exit";

  private static final String EXITED_UNEXPECTEDLY =
      "the skein application master process exited unexpectedly: ";

  private final PrintStream events;
  private final Map<Long, ContainerRequest> requests = new ConcurrentHashMap<>();
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  private volatile float progress;
  private AMRMClientAsync<ContainerRequest> rm;
  private NMClientAsync nm;
  private ByteBuffer containerTokens;
  private boolean unregistered;
  /** Whether this attempt is the application's last: only then may a failure unregister. */
  private boolean lastAttempt = true;

  private Shim(PrintStream events) {
    this.events = events;
  }

  public static void main(String[] args) throws IOException {
    // stdout is the protocol channel: anything else printing to System.out (log4j console
    // appenders from the cluster's configuration) is sent to stderr, the AM's log.
    PrintStream events =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
    System.setOut(System.err);
    writePidFile();
    int code = new Shim(events).run();
    // Hadoop leaves non-daemon threads behind; the pipe is the only lifeline that matters.
    System.exit(code);
  }

  /**
   * Leaves this JVM's pid in the working folder, so that the AM container's command can wait for
   * the shim to unregister when the Rust process dies first (java-shim/README.md, "Dying").
   */
  private static void writePidFile() {
    try {
      // "<pid>@<host>" on every JVM this runs on (ProcessHandle needs Java 9).
      String pid = ManagementFactory.getRuntimeMXBean().getName().split("@", 2)[0];
      Files.write(Paths.get(PID_FILE), pid.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      log("cannot write " + PID_FILE + ": " + e);
    }
  }

  /**
   * Why the Rust process ended, from the exit status the AM container's command writes to
   * {@link #EXIT_FILE} once it has ended; waits a few seconds for it.
   */
  private static String rustExit() {
    Path file = Paths.get(EXIT_FILE);
    for (int i = 0; i < 50; i++) {
      try {
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        if (!text.isEmpty()) {
          int code = Integer.parseInt(text);
          return code > 128
              ? "killed by signal " + (code - 128) + signalName(code - 128)
              : "exit code " + code;
        }
      } catch (IOException | NumberFormatException e) {
        // not written yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return "exit status unknown";
  }

  private static String signalName(int signal) {
    switch (signal) {
      case 9:
        return " (SIGKILL)";
      case 15:
        return " (SIGTERM)";
      case 11:
        return " (SIGSEGV)";
      case 6:
        return " (SIGABRT)";
      default:
        return "";
    }
  }

  private static void log(String message) {
    System.err.println("skein-shim: " + message);
    System.err.flush();
  }

  private synchronized void send(String type, Object... fields) {
    Map<String, Object> msg = new LinkedHashMap<>();
    msg.put("type", type);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      msg.put((String) fields[i], fields[i + 1]);
    }
    events.print(Json.write(msg));
    events.print('\n');
    events.flush();
  }

  private int run() throws IOException {
    send(
        "hello",
        "protocol", PROTOCOL,
        "hadoop_version", VersionInfo.getVersion(),
        "java_version", System.getProperty("java.version"));
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String first = in.readLine();
    if (first == null) {
      log("stdin closed before the hello message; exiting");
      return 1;
    }
    Map<String, Object> hello = asMap(Json.parse(first));
    if (!"hello".equals(hello.get("type")) || num(hello, "protocol", -1) != PROTOCOL) {
      String message = "protocol mismatch: this shim speaks version " + PROTOCOL + ", got " + first;
      send("error", "fatal", true, "message", message);
      log(message);
      return 2;
    }
    String line;
    while ((line = in.readLine()) != null) {
      Map<String, Object> cmd;
      try {
        cmd = asMap(Json.parse(line));
      } catch (RuntimeException e) {
        send("error", "fatal", false, "message", "unreadable command: " + e.getMessage());
        continue;
      }
      String type = String.valueOf(cmd.get("type"));
      if ("exit".equals(type)) {
        stopClients();
        return (int) num(cmd, "code", 0);
      }
      try {
        handle(type, cmd);
      } catch (Exception | LinkageError e) {
        send("error", "fatal", false, "message", type + " failed: " + describe(e));
      }
    }
    // stdin EOF: the Rust side is gone (crashed or killed) without saying goodbye.
    if (rm != null && !unregistered) {
      String diagnostics =
          EXITED_UNEXPECTEDLY + rustExit() + ", before it unregistered."
              + " See application.master.log for more information.";
      if (lastAttempt) {
        log("stdin closed before unregister; unregistering FAILED: " + diagnostics);
        try {
          rm.unregisterApplicationMaster(FinalApplicationStatus.FAILED, diagnostics, null);
        } catch (Exception e) {
          log("unregister failed: " + describe(e));
        }
      } else {
        log("stdin closed before unregister, not the last attempt: YARN retries. " + diagnostics);
      }
    }
    stopClients();
    return unregistered ? 0 : 1;
  }

  private void handle(String type, Map<String, Object> cmd) throws Exception {
    switch (type) {
      case "register":
        register(cmd);
        break;
      case "progress":
        progress = (float) dbl(cmd, "progress");
        break;
      case "heartbeat_interval":
        rm.setHeartbeatInterval((int) num(cmd, "ms", 1000));
        break;
      case "request":
        request(cmd);
        break;
      case "remove_request":
        {
          ContainerRequest req = requests.remove(num(cmd, "priority", -1));
          if (req != null) {
            rm.removeContainerRequest(req);
          }
        }
        break;
      case "release":
        {
          String id = str(cmd, "container_id");
          Container c = containers.remove(id);
          rm.releaseAssignedContainer(c != null ? c.getId() : ContainerId.fromString(id));
        }
        break;
      case "start":
        start(cmd);
        break;
      case "stop":
        {
          String id = str(cmd, "container_id");
          Container c = containers.get(id);
          if (c == null) {
            send("stop_failed", "container_id", id, "message", "unknown container " + id);
          } else {
            nm.stopContainerAsync(c.getId(), c.getNodeId());
          }
        }
        break;
      case "unregister":
        rm.unregisterApplicationMaster(
            FinalApplicationStatus.valueOf(str(cmd, "final_status")),
            str(cmd, "diagnostics"),
            emptyToNull(str(cmd, "tracking_url")));
        unregistered = true;
        send("unregistered");
        break;
      default:
        send("error", "fatal", false, "message", "unknown command type " + type);
    }
  }

  private void register(Map<String, Object> cmd) throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    containerTokens = tokensForContainers();
    rm = AMRMClientAsync.createAMRMClientAsync((int) num(cmd, "heartbeat_interval_ms", 1000),
        new RmHandler());
    rm.init(conf);
    rm.start();
    nm = NMClientAsync.createNMClientAsync(new NmHandler());
    nm.init(conf);
    nm.start();
    lastAttempt = bool(cmd, "last_attempt", true);
    String host = str(cmd, "host");
    if (host.isEmpty()) {
      host = System.getenv("NM_HOST");
    }
    RegisterApplicationMasterResponse r =
        rm.registerApplicationMaster(
            host, (int) num(cmd, "rpc_port", 0), emptyToNull(str(cmd, "tracking_url")));
    Resource max = r.getMaximumResourceCapability();
    send(
        "registered",
        "max_memory_mb", (long) max.getMemory(),
        "max_vcores", (long) max.getVirtualCores(),
        "queue", r.getQueue() == null ? "" : r.getQueue(),
        "previous_containers", (long) r.getContainersFromPreviousAttempts().size());
  }

  /** The AM's credentials minus its AMRM token, which must never reach other containers. */
  private static ByteBuffer tokensForContainers() throws IOException {
    Credentials creds = new Credentials(UserGroupInformation.getCurrentUser().getCredentials());
    Iterator<Token<?>> it = creds.getAllTokens().iterator();
    while (it.hasNext()) {
      if (AMRMTokenIdentifier.KIND_NAME.equals(it.next().getKind())) {
        it.remove();
      }
    }
    DataOutputBuffer out = new DataOutputBuffer();
    creds.writeTokenStorageToStream(out);
    return ByteBuffer.wrap(out.getData(), 0, out.getLength());
  }

  private void request(Map<String, Object> cmd) {
    long priority = num(cmd, "priority", -1);
    try {
      Resource capability =
          Resource.newInstance((int) num(cmd, "memory_mb", 0), (int) num(cmd, "vcores", 1));
      long gpus = num(cmd, "gpus", 0);
      long fpgas = num(cmd, "fpgas", 0);
      if (gpus > 0) {
        capability.setResourceValue("yarn.io/gpu", gpus);
      }
      if (fpgas > 0) {
        capability.setResourceValue("yarn.io/fpga", fpgas);
      }
      String[] nodes = strings(cmd, "nodes");
      String[] racks = strings(cmd, "racks");
      ContainerRequest req =
          new ContainerRequest(
              capability,
              nodes,
              racks,
              Priority.newInstance((int) priority),
              bool(cmd, "relax_locality", true),
              emptyToNull(str(cmd, "node_label")));
      rm.addContainerRequest(req);
      requests.put(priority, req);
    } catch (Exception | LinkageError e) {
      send("request_failed", "priority", priority, "message", describe(e));
    }
  }

  private void start(Map<String, Object> cmd) {
    String id = str(cmd, "container_id");
    Container container = containers.get(id);
    if (container == null) {
      send("start_failed", "container_id", id, "message", "unknown container " + id);
      return;
    }
    try {
      Map<String, LocalResource> resources = new HashMap<>();
      for (Map.Entry<String, Object> e : asMap(cmd.get("local_resources")).entrySet()) {
        Map<String, Object> r = asMap(e.getValue());
        Map<String, Object> url = asMap(r.get("url"));
        resources.put(
            e.getKey(),
            LocalResource.newInstance(
                URL.newInstance(
                    str(url, "scheme"), emptyToNull(str(url, "host")),
                    (int) num(url, "port", -1), str(url, "file")),
                LocalResourceType.valueOf(str(r, "type")),
                LocalResourceVisibility.valueOf(str(r, "visibility")),
                num(r, "size", 0),
                num(r, "timestamp", 0)));
      }
      Map<String, String> env = new HashMap<>();
      for (Map.Entry<String, Object> e : asMap(cmd.get("env")).entrySet()) {
        env.put(e.getKey(), String.valueOf(e.getValue()));
      }
      List<String> commands = new ArrayList<>();
      for (Object o : asList(cmd.get("commands"))) {
        commands.add(String.valueOf(o));
      }
      Map<ApplicationAccessType, String> acls = new HashMap<>();
      for (Map.Entry<String, Object> e : asMap(cmd.get("acls")).entrySet()) {
        acls.put(ApplicationAccessType.valueOf(e.getKey()), String.valueOf(e.getValue()));
      }
      ContainerLaunchContext ctx =
          ContainerLaunchContext.newInstance(
              resources, env, commands, null, containerTokens.duplicate(), acls);
      nm.startContainerAsync(container, ctx);
    } catch (Exception | LinkageError e) {
      send("start_failed", "container_id", id, "message", describe(e));
    }
  }

  private void stopClients() {
    // NMClientAsync.stop() also stops the containers it started, as Skein's AM does at exit.
    try {
      if (nm != null) {
        nm.stop();
      }
      if (rm != null) {
        rm.stop();
      }
    } catch (RuntimeException e) {
      log("stopping the YARN clients failed: " + describe(e));
    }
  }

  private final class RmHandler implements AMRMClientAsync.CallbackHandler {
    @Override
    public void onContainersAllocated(List<Container> allocated) {
      List<Object> list = new ArrayList<>();
      for (Container c : allocated) {
        containers.put(c.getId().toString(), c);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("container_id", c.getId().toString());
        m.put("node_id", c.getNodeId().toString());
        m.put("node_http_address", c.getNodeHttpAddress());
        m.put("priority", (long) c.getPriority().getPriority());
        m.put("memory_mb", (long) c.getResource().getMemory());
        m.put("vcores", (long) c.getResource().getVirtualCores());
        list.add(m);
      }
      send("allocated", "containers", list);
    }

    @Override
    public void onContainersCompleted(List<ContainerStatus> statuses) {
      List<Object> list = new ArrayList<>();
      for (ContainerStatus s : statuses) {
        containers.remove(s.getContainerId().toString());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("container_id", s.getContainerId().toString());
        m.put("state", String.valueOf(s.getState()));
        m.put("exit_status", (long) s.getExitStatus());
        m.put("diagnostics", s.getDiagnostics() == null ? "" : s.getDiagnostics());
        list.add(m);
      }
      send("completed", "containers", list);
    }

    @Override
    public void onShutdownRequest() {
      send("shutdown_requested", "reason", "the ResourceManager asked the application master to"
          + " shut down (AM_SHUTDOWN, or AM_RESYNC on Hadoop versions that do not resync)");
    }

    @Override
    public void onNodesUpdated(List<NodeReport> updated) {}

    @Override
    public float getProgress() {
      return progress;
    }

    @Override
    public void onError(Throwable e) {
      // AMRMClientAsync stops heartbeating after this: the Rust side must end the application.
      send("error", "fatal", true, "message", "ResourceManager heartbeat failed: " + describe(e));
    }
  }

  private final class NmHandler implements NMClientAsync.CallbackHandler {
    @Override
    public void onContainerStarted(ContainerId id, Map<String, ByteBuffer> serviceData) {
      send("started", "container_id", id.toString());
    }

    @Override
    public void onStartContainerError(ContainerId id, Throwable e) {
      send("start_failed", "container_id", id.toString(), "message", describe(e));
    }

    @Override
    public void onContainerStopped(ContainerId id) {
      send("stopped", "container_id", id.toString());
    }

    @Override
    public void onStopContainerError(ContainerId id, Throwable e) {
      send("stop_failed", "container_id", id.toString(), "message", describe(e));
    }

    @Override
    public void onContainerStatusReceived(ContainerId id, ContainerStatus status) {}

    @Override
    public void onGetContainerStatusError(ContainerId id, Throwable e) {}
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage();
    return e.getClass().getName() + (msg == null ? "" : ": " + msg);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    if (o == null) {
      return Collections.emptyMap();
    }
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object, got " + o);
    }
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> asList(Object o) {
    if (o == null) {
      return Collections.emptyList();
    }
    if (!(o instanceof List)) {
      throw new IllegalArgumentException("expected a JSON array, got " + o);
    }
    return (List<Object>) o;
  }

  private static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? "" : String.valueOf(v);
  }

  private static long num(Map<String, Object> m, String key, long dflt) {
    Object v = m.get(key);
    return v instanceof Number ? ((Number) v).longValue() : dflt;
  }

  private static double dbl(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof Number ? ((Number) v).doubleValue() : 0.0;
  }

  private static boolean bool(Map<String, Object> m, String key, boolean dflt) {
    Object v = m.get(key);
    return v instanceof Boolean ? (Boolean) v : dflt;
  }

  private static String[] strings(Map<String, Object> m, String key) {
    List<Object> list = asList(m.get(key));
    if (list.isEmpty()) {
      return null; // YARN's "no constraint"
    }
    String[] out = new String[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = String.valueOf(list.get(i));
    }
    return out;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
