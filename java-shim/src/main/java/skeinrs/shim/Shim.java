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
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.io.DataOutputBuffer;
import org.apache.hadoop.security.Credentials;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.yarn.api.protocolrecords.AllocateResponse;
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
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.client.api.async.AMRMClientAsync;
import org.apache.hadoop.yarn.client.api.async.NMClientAsync;
import org.apache.hadoop.yarn.client.api.impl.AMRMClientImpl;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;

/**
 * The skein-rs ApplicationMaster's bridge to YARN: AMRMClientAsync and NMClientAsync, driven by
 * newline-delimited JSON commands on stdin, reporting newline-delimited JSON events on stdout.
 * It holds no application logic; README.md documents the protocol, {@link Commands} reads the
 * commands and {@link Events} writes the events.
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
  /** The token file's modification time and size when {@link #containerTokens} was read. */
  private String containerTokensStamp = "";
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
    int code;
    try {
      code = new Shim(events).run();
    } catch (Throwable e) {
      // An Error (OutOfMemoryError, ...) out of the command loop: without this, Hadoop's
      // non-daemon threads would keep a shim alive that no longer reads commands. The Rust
      // side sees the exit and ends the application with this reason.
      log("failed: " + describe(e));
      Runtime.getRuntime().halt(3);
      return;
    }
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

  /** Writes one event line (made by {@link Events}). */
  private synchronized void send(String line) {
    events.print(line);
    events.print('\n');
    events.flush();
  }

  private int run() throws IOException {
    send(Events.hello(PROTOCOL, VersionInfo.getVersion(), System.getProperty("java.version")));
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String first = in.readLine();
    if (first == null) {
      log("stdin closed before the hello message; exiting");
      return 1;
    }
    Fields hello = new Fields(Json.parse(first));
    if (!"hello".equals(hello.type()) || new Commands.Hello(hello).protocol != PROTOCOL) {
      String message = "protocol mismatch: this shim speaks version " + PROTOCOL + ", got " + first;
      send(Events.error(true, message));
      log(message);
      return 2;
    }
    String line;
    while ((line = in.readLine()) != null) {
      Fields cmd;
      try {
        cmd = new Fields(Json.parse(line));
      } catch (RuntimeException e) {
        send(Events.error(false, "unreadable command: " + e.getMessage()));
        continue;
      }
      String type = cmd.type();
      if ("exit".equals(type)) {
        stopClients();
        return new Commands.Exit(cmd).code;
      }
      try {
        handle(type, cmd);
      } catch (Exception | LinkageError e) {
        send(Events.error(false, type + " failed: " + describe(e)));
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

  private void handle(String type, Fields cmd) throws Exception {
    // Each command is read where it was always read: a malformed `request` or `start` is
    // answered by its own failure event, inside request() and start().
    switch (type) {
      case "register":
        register(new Commands.Register(cmd));
        break;
      case "progress":
        progress = new Commands.Progress(cmd).progress;
        break;
      case "heartbeat_interval":
        rm.setHeartbeatInterval(new Commands.HeartbeatInterval(cmd).ms);
        break;
      case "request":
        request(cmd);
        break;
      case "remove_request":
        {
          ContainerRequest req = requests.remove(new Commands.RemoveRequest(cmd).priority);
          if (req != null) {
            rm.removeContainerRequest(req);
          }
        }
        break;
      case "release":
        {
          String id = new Commands.Release(cmd).containerId;
          Container c = containers.remove(id);
          rm.releaseAssignedContainer(c != null ? c.getId() : ContainerId.fromString(id));
        }
        break;
      case "start":
        start(cmd);
        break;
      case "stop":
        {
          String id = new Commands.Stop(cmd).containerId;
          Container c = containers.get(id);
          if (c == null) {
            send(Events.stopFailed(id, "unknown container " + id));
          } else {
            nm.stopContainerAsync(c.getId(), c.getNodeId());
          }
        }
        break;
      case "unregister":
        {
          Commands.Unregister u = new Commands.Unregister(cmd);
          FinalApplicationStatus status = FinalApplicationStatus.valueOf(u.finalStatus);
          if (rm != null) {
            rm.unregisterApplicationMaster(status, u.diagnostics, emptyToNull(u.trackingUrl));
          } else {
            unregisterForDeadShim(status, u.diagnostics, emptyToNull(u.trackingUrl));
          }
          unregistered = true;
          send(Events.unregistered());
        }
        break;
      default:
        send(Events.error(false, "unknown command type " + type));
    }
  }

  private void register(Commands.Register cmd) throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    containerTokens = withoutAmrmToken(UserGroupInformation.getCurrentUser().getCredentials());
    containerTokensStamp = tokenFileStamp();
    rm =
        AMRMClientAsync.createAMRMClientAsync(
            new TimedAmrmClient(), cmd.heartbeatIntervalMs, new RmHandler());
    rm.init(conf);
    rm.start();
    nm = NMClientAsync.createNMClientAsync(new NmHandler());
    nm.init(conf);
    nm.start();
    lastAttempt = cmd.lastAttempt;
    String host = cmd.host;
    if (host.isEmpty()) {
      host = System.getenv("NM_HOST");
    }
    RegisterApplicationMasterResponse r =
        rm.registerApplicationMaster(host, cmd.rpcPort, emptyToNull(cmd.trackingUrl));
    Resource max = r.getMaximumResourceCapability();
    send(
        Events.registered(
            (long) max.getMemory(),
            (long) max.getVirtualCores(),
            r.getQueue() == null ? "" : r.getQueue(),
            (long) r.getContainersFromPreviousAttempts().size()));
  }

  /**
   * Unregisters an attempt that another shim registered and can no longer unregister (it died
   * or hung): the ResourceManager knows the attempt by the AMRM token in this container's
   * credentials, not by the connection that registered it.
   */
  private static void unregisterForDeadShim(
      FinalApplicationStatus status, String diagnostics, String trackingUrl) throws Exception {
    AMRMClient<ContainerRequest> client = AMRMClient.createAMRMClient();
    client.init(new YarnConfiguration());
    client.start();
    try {
      client.unregisterApplicationMaster(status, diagnostics, trackingUrl);
    } finally {
      client.stop();
    }
  }

  /** Credentials minus the AM's AMRM token, which must never reach other containers. */
  private static ByteBuffer withoutAmrmToken(Credentials source) throws IOException {
    Credentials creds = new Credentials(source);
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

  /** The AM's token file (HADOOP_TOKEN_FILE_LOCATION), or null when YARN set none. */
  private static java.io.File tokenFile() {
    String location = System.getenv("HADOOP_TOKEN_FILE_LOCATION");
    return location == null || location.isEmpty() ? null : new java.io.File(location);
  }

  private static String tokenFileStamp() {
    java.io.File file = tokenFile();
    return file == null ? "" : file.lastModified() + "/" + file.length();
  }

  /**
   * The tokens for a container started now. The Rust AM replaces the token file atomically
   * with new delegation tokens (applications with a kerberos_principal): a changed file is
   * read again, so every container started afterwards gets the newest tokens.
   */
  private ByteBuffer containerTokens() throws IOException {
    String stamp = tokenFileStamp();
    if (!stamp.equals(containerTokensStamp)) {
      java.io.File file = tokenFile();
      containerTokens =
          withoutAmrmToken(Credentials.readTokenStorageFile(file, new YarnConfiguration()));
      containerTokensStamp = stamp;
    }
    return containerTokens.duplicate();
  }

  private void request(Fields fields) {
    // Read apart from the rest, which may be malformed: the failure names the request.
    long priority = fields.num("priority", -1);
    try {
      Commands.Request cmd = new Commands.Request(fields);
      Resource capability = Resource.newInstance(cmd.memoryMb, cmd.vcores);
      if (cmd.gpus > 0) {
        capability.setResourceValue("yarn.io/gpu", cmd.gpus);
      }
      if (cmd.fpgas > 0) {
        capability.setResourceValue("yarn.io/fpga", cmd.fpgas);
      }
      ContainerRequest req =
          new ContainerRequest(
              capability,
              orNull(cmd.nodes),
              orNull(cmd.racks),
              Priority.newInstance((int) cmd.priority),
              cmd.relaxLocality,
              emptyToNull(cmd.nodeLabel));
      rm.addContainerRequest(req);
      requests.put(cmd.priority, req);
    } catch (Exception | LinkageError e) {
      send(Events.requestFailed(priority, describe(e)));
    }
  }

  private void start(Fields fields) {
    String id = fields.str("container_id");
    Container container = containers.get(id);
    if (container == null) {
      send(Events.startFailed(id, "unknown container " + id));
      return;
    }
    try {
      Commands.Start cmd = new Commands.Start(fields);
      Map<String, LocalResource> resources = new HashMap<>();
      for (Map.Entry<String, Commands.Resource> e : cmd.localResources.entrySet()) {
        Commands.Resource r = e.getValue();
        resources.put(
            e.getKey(),
            LocalResource.newInstance(
                URL.newInstance(r.url.scheme, emptyToNull(r.url.host), r.url.port, r.url.file),
                LocalResourceType.valueOf(r.type),
                LocalResourceVisibility.valueOf(r.visibility),
                r.size,
                r.timestamp));
      }
      Map<String, String> env = new HashMap<>(cmd.env);
      List<String> commands = new ArrayList<>(cmd.commands);
      Map<ApplicationAccessType, String> acls = new HashMap<>();
      for (Map.Entry<String, String> e : cmd.acls.entrySet()) {
        acls.put(ApplicationAccessType.valueOf(e.getKey()), e.getValue());
      }
      ContainerLaunchContext ctx =
          ContainerLaunchContext.newInstance(
              resources, env, commands, null, containerTokens(), acls);
      nm.startContainerAsync(container, ctx);
    } catch (Exception | LinkageError e) {
      send(Events.startFailed(id, describe(e)));
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

  /**
   * Hadoop's AMRM client, timing each allocate call (one heartbeat to the ResourceManager) for
   * the Rust AM's metrics: a {@code heartbeat} event per call, failed calls included.
   */
  private final class TimedAmrmClient extends AMRMClientImpl<ContainerRequest> {
    @Override
    public AllocateResponse allocate(float progress) throws YarnException, IOException {
      long start = System.nanoTime();
      try {
        return super.allocate(progress);
      } finally {
        send(Events.heartbeat((System.nanoTime() - start) / 1000L));
      }
    }
  }

  private final class RmHandler implements AMRMClientAsync.CallbackHandler {
    @Override
    public void onContainersAllocated(List<Container> allocated) {
      List<Object> list = new ArrayList<>();
      for (Container c : allocated) {
        containers.put(c.getId().toString(), c);
        list.add(
            Events.allocatedContainer(
                c.getId().toString(),
                c.getNodeId().toString(),
                c.getNodeHttpAddress(),
                (long) c.getPriority().getPriority(),
                (long) c.getResource().getMemory(),
                (long) c.getResource().getVirtualCores()));
      }
      send(Events.allocated(list));
    }

    @Override
    public void onContainersCompleted(List<ContainerStatus> statuses) {
      List<Object> list = new ArrayList<>();
      for (ContainerStatus s : statuses) {
        containers.remove(s.getContainerId().toString());
        list.add(
            Events.completedContainer(
                s.getContainerId().toString(),
                String.valueOf(s.getState()),
                (long) s.getExitStatus(),
                s.getDiagnostics() == null ? "" : s.getDiagnostics()));
      }
      send(Events.completed(list));
    }

    @Override
    public void onShutdownRequest() {
      send(Events.shutdownRequested("the ResourceManager asked the application master to"
          + " shut down (AM_SHUTDOWN, or AM_RESYNC on Hadoop versions that do not resync)"));
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
      send(Events.error(true, "ResourceManager heartbeat failed: " + describe(e)));
    }
  }

  private final class NmHandler implements NMClientAsync.CallbackHandler {
    @Override
    public void onContainerStarted(ContainerId id, Map<String, ByteBuffer> serviceData) {
      send(Events.started(id.toString()));
    }

    @Override
    public void onStartContainerError(ContainerId id, Throwable e) {
      send(Events.startFailed(id.toString(), describe(e)));
    }

    @Override
    public void onContainerStopped(ContainerId id) {
      send(Events.stopped(id.toString()));
    }

    @Override
    public void onStopContainerError(ContainerId id, Throwable e) {
      send(Events.stopFailed(id.toString(), describe(e)));
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

  /** YARN's "no constraint" for an empty list of nodes or racks. */
  private static String[] orNull(List<String> list) {
    return list.isEmpty() ? null : list.toArray(new String[0]);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
