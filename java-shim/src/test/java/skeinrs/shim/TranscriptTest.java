package skeinrs.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The golden transcript of the pipe protocol (src/test/resources/shim-transcript.txt), replayed
 * by the shim's own code: every command line is read by {@link Commands} with every field used
 * and none missing, into the values of the line; every event line is what {@link Events} writes
 * from the line's values, byte for byte; and every command and event type of the shim has a
 * line. crates/skein-core/tests/shim_transcript.rs replays the same file on the Rust side.
 */
class TranscriptTest {
  /** One message of the transcript. */
  static final class Message {
    final int number;
    final boolean command;
    final String json;

    Message(int number, boolean command, String json) {
      this.number = number;
      this.command = command;
      this.json = json;
    }

    Map<String, Object> parsed() {
      return Fields.asMap(Json.parse(json));
    }

    String where() {
      return "shim-transcript.txt:" + number + ": " + json;
    }
  }

  static List<Message> messages() throws IOException {
    List<Message> out = new ArrayList<>();
    try (InputStream in = TranscriptTest.class.getResourceAsStream("/shim-transcript.txt")) {
      assertNotNull(in, "shim-transcript.txt is not on the test classpath");
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        if (line.startsWith("> ")) {
          out.add(new Message(number, true, line.substring(2)));
        } else if (line.startsWith("< ")) {
          out.add(new Message(number, false, line.substring(2)));
        } else {
          fail("shim-transcript.txt:" + number + ": neither \"> \", \"< \" nor \"#\": " + line);
        }
      }
    }
    return out;
  }

  @Test
  void everyCommandIsReadWithAllItsFieldsIntoTheValuesOfTheLine() throws IOException {
    for (Message m : messages()) {
      if (!m.command) {
        continue;
      }
      Fields fields = new Fields(Json.parse(m.json));
      Commands.Command command = Commands.parse(fields);
      assertNotNull(command, "a command type the shim does not know: " + m.where());
      assertEquals(new TreeSet<String>(), fields.defaulted(),
          "fields the shim reads but the line lacks: " + m.where());
      assertEquals(new TreeSet<String>(), fields.unread(),
          "fields of the line the shim does not read: " + m.where());
      Map<String, Object> expected = m.parsed();
      expected.remove("type");
      assertEquals(expected, asJson(command), m.where());
    }
  }

  @Test
  void everyEventIsWhatTheShimWrites() throws IOException {
    for (Message m : messages()) {
      if (!m.command) {
        assertEquals(m.json, write(m.parsed()), m.where());
      }
    }
  }

  @Test
  void everyMessageTypeOfTheShimHasALine() throws IOException {
    TreeSet<String> commands = new TreeSet<>();
    TreeSet<String> events = new TreeSet<>();
    for (Message m : messages()) {
      (m.command ? commands : events).add(String.valueOf(m.parsed().get("type")));
    }
    for (Class<?> c : Commands.class.getDeclaredClasses()) {
      if (Commands.Command.class.isAssignableFrom(c) && c != Commands.Command.class) {
        String type = snakeCase(c.getSimpleName());
        assertTrue(commands.contains(type), "no line of the command " + type);
      }
    }
    for (Method method : Events.class.getDeclaredMethods()) {
      if (Modifier.isStatic(method.getModifiers())
          && !Modifier.isPrivate(method.getModifiers())
          && method.getReturnType() == String.class) {
        String type = snakeCase(method.getName());
        assertTrue(events.contains(type), "no line of the event " + type);
      }
    }
  }

  /** The event {@code e} as {@link Events} writes it from its values. */
  private static String write(Map<String, Object> e) {
    String type = String.valueOf(e.get("type"));
    switch (type) {
      case "hello":
        return Events.hello(num(e, "protocol"), str(e, "hadoop_version"), str(e, "java_version"));
      case "registered":
        return Events.registered(num(e, "max_memory_mb"), num(e, "max_vcores"), str(e, "queue"),
            num(e, "previous_containers"));
      case "allocated":
        {
          List<Object> list = new ArrayList<>();
          for (Object o : Fields.asList(e.get("containers"))) {
            Map<String, Object> c = Fields.asMap(o);
            list.add(Events.allocatedContainer(str(c, "container_id"), str(c, "node_id"),
                str(c, "node_http_address"), num(c, "priority"), num(c, "memory_mb"),
                num(c, "vcores")));
          }
          return Events.allocated(list);
        }
      case "completed":
        {
          List<Object> list = new ArrayList<>();
          for (Object o : Fields.asList(e.get("containers"))) {
            Map<String, Object> c = Fields.asMap(o);
            list.add(Events.completedContainer(str(c, "container_id"), str(c, "state"),
                num(c, "exit_status"), str(c, "diagnostics")));
          }
          return Events.completed(list);
        }
      case "started":
        return Events.started(str(e, "container_id"));
      case "start_failed":
        return Events.startFailed(str(e, "container_id"), str(e, "message"));
      case "stopped":
        return Events.stopped(str(e, "container_id"));
      case "stop_failed":
        return Events.stopFailed(str(e, "container_id"), str(e, "message"));
      case "request_failed":
        return Events.requestFailed(num(e, "priority"), str(e, "message"));
      case "shutdown_requested":
        return Events.shutdownRequested(str(e, "reason"));
      case "error":
        return Events.error((Boolean) field(e, "fatal"), str(e, "message"));
      case "heartbeat":
        return Events.heartbeat(num(e, "duration_us"));
      case "unregistered":
        return Events.unregistered();
      default:
        return fail("an event type the shim does not write: " + type);
    }
  }

  private static Object field(Map<String, Object> m, String key) {
    Object v = m.get(key);
    assertNotNull(v, "no field " + key + " in " + m);
    return v;
  }

  private static String str(Map<String, Object> m, String key) {
    return (String) field(m, key);
  }

  private static long num(Map<String, Object> m, String key) {
    return ((Number) field(m, key)).longValue();
  }

  /**
   * A value read by {@link Commands} as JSON: its fields by their names in snake_case (the wire's
   * names), numbers as Long or Double like {@link Json#parse}.
   */
  private static Object asJson(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean) {
      return v;
    }
    if (v instanceof Float || v instanceof Double) {
      return ((Number) v).doubleValue();
    }
    if (v instanceof Number) {
      return ((Number) v).longValue();
    }
    if (v instanceof List) {
      List<Object> out = new ArrayList<>();
      for (Object o : (List<?>) v) {
        out.add(asJson(o));
      }
      return out;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    if (v instanceof Map) {
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        out.put(String.valueOf(e.getKey()), asJson(e.getValue()));
      }
      return out;
    }
    for (Field f : v.getClass().getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) {
        continue;
      }
      try {
        f.setAccessible(true);
        out.put(snakeCase(f.getName()), asJson(f.get(v)));
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  /** {@code heartbeatIntervalMs} and {@code HeartbeatInterval} as the wire names them. */
  private static String snakeCase(String name) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0) {
          sb.append('_');
        }
        sb.append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
