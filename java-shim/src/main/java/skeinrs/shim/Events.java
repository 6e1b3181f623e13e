package skeinrs.shim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The events of the pipe protocol (README.md, "Events") as the JSON lines the shim writes,
 * without the newline: pure functions of plain values, so that tests compare them with the
 * golden transcript without a cluster. One method per event type, named after it.
 */
final class Events {
  private Events() {}

  static String hello(long protocol, String hadoopVersion, String javaVersion) {
    return line("hello", "protocol", protocol, "hadoop_version", hadoopVersion,
        "java_version", javaVersion);
  }

  static String registered(long maxMemoryMb, long maxVcores, String queue,
      long previousContainers) {
    return line("registered", "max_memory_mb", maxMemoryMb, "max_vcores", maxVcores,
        "queue", queue, "previous_containers", previousContainers);
  }

  /** One heartbeat's allocations, each made by {@link #allocatedContainer}. */
  static String allocated(List<Object> containers) {
    return line("allocated", "containers", containers);
  }

  static Map<String, Object> allocatedContainer(String containerId, String nodeId,
      String nodeHttpAddress, long priority, long memoryMb, long vcores) {
    return object("container_id", containerId, "node_id", nodeId,
        "node_http_address", nodeHttpAddress, "priority", priority, "memory_mb", memoryMb,
        "vcores", vcores);
  }

  /** One heartbeat's completions, each made by {@link #completedContainer}. */
  static String completed(List<Object> containers) {
    return line("completed", "containers", containers);
  }

  static Map<String, Object> completedContainer(String containerId, String state,
      long exitStatus, String diagnostics) {
    return object("container_id", containerId, "state", state, "exit_status", exitStatus,
        "diagnostics", diagnostics);
  }

  static String started(String containerId) {
    return line("started", "container_id", containerId);
  }

  static String startFailed(String containerId, String message) {
    return line("start_failed", "container_id", containerId, "message", message);
  }

  static String stopped(String containerId) {
    return line("stopped", "container_id", containerId);
  }

  static String stopFailed(String containerId, String message) {
    return line("stop_failed", "container_id", containerId, "message", message);
  }

  static String requestFailed(long priority, String message) {
    return line("request_failed", "priority", priority, "message", message);
  }

  static String shutdownRequested(String reason) {
    return line("shutdown_requested", "reason", reason);
  }

  static String error(boolean fatal, String message) {
    return line("error", "fatal", fatal, "message", message);
  }

  static String heartbeat(long durationUs) {
    return line("heartbeat", "duration_us", durationUs);
  }

  static String unregistered() {
    return line("unregistered");
  }

  private static String line(String type, Object... fields) {
    Map<String, Object> msg = new LinkedHashMap<>();
    msg.put("type", type);
    msg.putAll(object(fields));
    return Json.write(msg);
  }

  private static Map<String, Object> object(Object... fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < fields.length; i += 2) {
      m.put((String) fields[i], fields[i + 1]);
    }
    return m;
  }
}
