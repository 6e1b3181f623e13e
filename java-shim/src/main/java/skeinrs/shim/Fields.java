package skeinrs.shim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One JSON object of a command, read field by field with the protocol's defaults (README.md:
 * unknown fields are ignored, absent ones take their default). It remembers which fields were
 * read and which had to be defaulted (absent, or of another JSON type), nested objects included,
 * so that a test can prove the shim reads exactly the fields the Rust side writes.
 */
final class Fields {
  private final Map<String, Object> map;
  private final String path;
  private final TreeSet<String> read = new TreeSet<>();
  private final TreeSet<String> defaulted = new TreeSet<>();
  private final List<Fields> children = new ArrayList<>();

  Fields(Object json) {
    this(json, "");
  }

  private Fields(Object json, String path) {
    this.map = asMap(json);
    this.path = path;
  }

  /** The {@code type} of the message ("null" when it has none). */
  String type() {
    return String.valueOf(map.get("type"));
  }

  private Object get(String key) {
    read.add(key);
    return map.get(key);
  }

  private void defaulted(String key) {
    defaulted.add(path + key);
  }

  /** A string field; "" when absent, the text of any other value. */
  String str(String key) {
    Object v = get(key);
    if (v == null) {
      defaulted(key);
      return "";
    }
    return String.valueOf(v);
  }

  /** An integral field; {@code dflt} when absent or not a number. */
  long num(String key, long dflt) {
    Object v = get(key);
    if (v instanceof Number) {
      return ((Number) v).longValue();
    }
    defaulted(key);
    return dflt;
  }

  /** A floating-point field; 0 when absent or not a number. */
  double dbl(String key) {
    Object v = get(key);
    if (v instanceof Number) {
      return ((Number) v).doubleValue();
    }
    defaulted(key);
    return 0.0;
  }

  /** A boolean field; {@code dflt} when absent or not a boolean. */
  boolean bool(String key, boolean dflt) {
    Object v = get(key);
    if (v instanceof Boolean) {
      return (Boolean) v;
    }
    defaulted(key);
    return dflt;
  }

  /** An array of strings; empty when absent. */
  List<String> strings(String key) {
    Object v = get(key);
    if (v == null) {
      defaulted(key);
    }
    List<String> out = new ArrayList<>();
    for (Object o : asList(v)) {
      out.add(String.valueOf(o));
    }
    return out;
  }

  /** An object of strings (environment, ACLs); empty when absent. */
  Map<String, String> stringMap(String key) {
    Object v = get(key);
    if (v == null) {
      defaulted(key);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : asMap(v).entrySet()) {
      out.put(e.getKey(), String.valueOf(e.getValue()));
    }
    return out;
  }

  /** A nested object; an empty one when absent. */
  Fields object(String key) {
    Object v = get(key);
    if (v == null) {
      defaulted(key);
    }
    Fields child = new Fields(v, path + key + ".");
    children.add(child);
    return child;
  }

  /** An object of objects (local resources by link name); empty when absent. */
  Map<String, Fields> objects(String key) {
    Object v = get(key);
    if (v == null) {
      defaulted(key);
    }
    Map<String, Fields> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : asMap(v).entrySet()) {
      Fields child = new Fields(e.getValue(), path + key + "." + e.getKey() + ".");
      children.add(child);
      out.put(e.getKey(), child);
    }
    return out;
  }

  /** Fields that were read but absent or of another type, with their paths, nested ones too. */
  TreeSet<String> defaulted() {
    TreeSet<String> all = new TreeSet<>(defaulted);
    for (Fields child : children) {
      all.addAll(child.defaulted());
    }
    return all;
  }

  /** Fields present that nothing read (but {@code type}), with their paths, nested ones too. */
  TreeSet<String> unread() {
    TreeSet<String> all = new TreeSet<>();
    for (String key : map.keySet()) {
      if (!read.contains(key) && !(path.isEmpty() && "type".equals(key))) {
        all.add(path + key);
      }
    }
    for (Fields child : children) {
      all.addAll(child.unread());
    }
    return all;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object o) {
    if (o == null) {
      return Collections.emptyMap();
    }
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object, got " + o);
    }
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> asList(Object o) {
    if (o == null) {
      return Collections.emptyList();
    }
    if (!(o instanceof List)) {
      throw new IllegalArgumentException("expected a JSON array, got " + o);
    }
    return (List<Object>) o;
  }
}
