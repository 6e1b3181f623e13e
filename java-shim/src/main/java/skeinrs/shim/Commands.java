package skeinrs.shim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The commands of the pipe protocol (README.md, "Commands"), read from their JSON objects into
 * plain values with the protocol's defaults: no Hadoop types, so that tests replay the golden
 * transcript without a cluster. The shim turns these values into Hadoop calls.
 */
final class Commands {
  private Commands() {}

  /** A command; its class names its {@code type} (README.md's table). */
  abstract static class Command {}

  /** {@code hello}: the Rust AM's protocol version. */
  static final class Hello extends Command {
    final long protocol;

    Hello(Fields f) {
      protocol = f.num("protocol", -1);
    }
  }

  /** {@code register}: start the YARN clients and register with the ResourceManager. */
  static final class Register extends Command {
    /** Empty: {@code $NM_HOST}. */
    final String host;
    final int rpcPort;
    /** Empty: none. */
    final String trackingUrl;
    final int heartbeatIntervalMs;
    final boolean lastAttempt;

    Register(Fields f) {
      host = f.str("host");
      rpcPort = (int) f.num("rpc_port", 0);
      trackingUrl = f.str("tracking_url");
      heartbeatIntervalMs = (int) f.num("heartbeat_interval_ms", 1000);
      lastAttempt = f.bool("last_attempt", true);
    }
  }

  /** {@code progress}: reported with every following heartbeat. */
  static final class Progress extends Command {
    final float progress;

    Progress(Fields f) {
      progress = (float) f.dbl("progress");
    }
  }

  /** {@code heartbeat_interval}. */
  static final class HeartbeatInterval extends Command {
    final int ms;

    HeartbeatInterval(Fields f) {
      ms = (int) f.num("ms", 1000);
    }
  }

  /** {@code request}: one container. */
  static final class Request extends Command {
    final long priority;
    final int memoryMb;
    final int vcores;
    final long gpus;
    final long fpgas;
    /** Empty: anywhere. */
    final List<String> nodes;
    /** Empty: anywhere. */
    final List<String> racks;
    final boolean relaxLocality;
    /** Empty: the application's. */
    final String nodeLabel;

    Request(Fields f) {
      priority = f.num("priority", -1);
      memoryMb = (int) f.num("memory_mb", 0);
      vcores = (int) f.num("vcores", 1);
      gpus = f.num("gpus", 0);
      fpgas = f.num("fpgas", 0);
      nodes = f.strings("nodes");
      racks = f.strings("racks");
      relaxLocality = f.bool("relax_locality", true);
      nodeLabel = f.str("node_label");
    }
  }

  /** {@code remove_request}: withdraw the request of that priority. */
  static final class RemoveRequest extends Command {
    final long priority;

    RemoveRequest(Fields f) {
      priority = f.num("priority", -1);
    }
  }

  /** {@code release}: give an allocated container back. */
  static final class Release extends Command {
    final String containerId;

    Release(Fields f) {
      containerId = f.str("container_id");
    }
  }

  /** {@code start}: start an allocated container. */
  static final class Start extends Command {
    final String containerId;
    final Map<String, Resource> localResources = new LinkedHashMap<>();
    final Map<String, String> env;
    final List<String> commands;
    /** VIEW_APP / MODIFY_APP to "users groups". */
    final Map<String, String> acls;

    Start(Fields f) {
      containerId = f.str("container_id");
      for (Map.Entry<String, Fields> e : f.objects("local_resources").entrySet()) {
        localResources.put(e.getKey(), new Resource(e.getValue()));
      }
      env = f.stringMap("env");
      commands = f.strings("commands");
      acls = f.stringMap("acls");
    }
  }

  /** A file to localize, as {@code start} names it. */
  static final class Resource {
    final Url url;
    /** FILE, ARCHIVE or PATTERN. */
    final String type;
    /** PUBLIC, PRIVATE or APPLICATION. */
    final String visibility;
    final long size;
    final long timestamp;

    Resource(Fields f) {
      url = new Url(f.object("url"));
      type = f.str("type");
      visibility = f.str("visibility");
      size = f.num("size", 0);
      timestamp = f.num("timestamp", 0);
    }
  }

  /** YARN's URL record. */
  static final class Url {
    final String scheme;
    /** Empty: none. */
    final String host;
    /** -1: none. */
    final int port;
    final String file;

    Url(Fields f) {
      scheme = f.str("scheme");
      host = f.str("host");
      port = (int) f.num("port", -1);
      file = f.str("file");
    }
  }

  /** {@code stop}: stop a started container. */
  static final class Stop extends Command {
    final String containerId;

    Stop(Fields f) {
      containerId = f.str("container_id");
    }
  }

  /** {@code unregister}: the application's final status. */
  static final class Unregister extends Command {
    /** SUCCEEDED, FAILED or KILLED. */
    final String finalStatus;
    final String diagnostics;
    /** Empty: keep the registered one. */
    final String trackingUrl;

    Unregister(Fields f) {
      finalStatus = f.str("final_status");
      diagnostics = f.str("diagnostics");
      trackingUrl = f.str("tracking_url");
    }
  }

  /** {@code exit}: stop the clients and exit with {@code code}, without unregistering. */
  static final class Exit extends Command {
    final int code;

    Exit(Fields f) {
      code = (int) f.num("code", 0);
    }
  }

  /** The command {@code f} holds, by its type; null for a type this shim does not know. */
  static Command parse(Fields f) {
    switch (f.type()) {
      case "hello":
        return new Hello(f);
      case "register":
        return new Register(f);
      case "progress":
        return new Progress(f);
      case "heartbeat_interval":
        return new HeartbeatInterval(f);
      case "request":
        return new Request(f);
      case "remove_request":
        return new RemoveRequest(f);
      case "release":
        return new Release(f);
      case "start":
        return new Start(f);
      case "stop":
        return new Stop(f);
      case "unregister":
        return new Unregister(f);
      case "exit":
        return new Exit(f);
      default:
        return null;
    }
  }
}
