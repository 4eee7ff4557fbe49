package io.sluice.schema;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The object and array rules of {@link JsonSchemaCompatibility}: properties under open, closed and partially open
 * content models ({@code additionalProperties} true, false, or a schema / {@code patternProperties}), required
 * properties, and array items (one schema, or a tuple with its additional items).
 */
final class JsonSchemaObjects {
  private JsonSchemaObjects() {
  }

  static void compare(JsonSchemaCompatibility c, JsonObject o, JsonObject u, String path) {
    required(c, o, u, path);
    properties(c, o, u, path);
    additional(c, o.getValue("additionalProperties"), u.getValue("additionalProperties"), "ADDITIONAL_PROPERTIES",
        path + "/additionalProperties");
    items(c, o, u, path);
  }

  private static JsonObject properties(JsonObject s) {
    return s.getValue("properties") instanceof JsonObject p ? p : new JsonObject();
  }

  private static Set<String> required(JsonObject s) {
    Set<String> out = new TreeSet<>();
    if (s.getValue("required") instanceof JsonArray r) {
      r.forEach(v -> out.add(String.valueOf(v)));
    }
    return out;
  }

  private static boolean hasDefault(JsonObject properties, String name) {
    return properties.getValue(name) instanceof JsonObject p && p.containsKey("default");
  }

  private static void required(JsonSchemaCompatibility c, JsonObject o, JsonObject u, String path) {
    Set<String> or = required(o);
    Set<String> ur = required(u);
    for (String name : properties(o).fieldNames()) {
      if (!properties(u).containsKey(name)) {
        continue;
      }
      String at = path + "/required/" + name;
      if (or.contains(name) && !ur.contains(name)) {
        c.record("REQUIRED_ATTRIBUTE_REMOVED", true, at);
      } else if (!or.contains(name) && ur.contains(name)) {
        boolean withDefault = hasDefault(properties(u), name);
        c.record(withDefault ? "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" : "REQUIRED_ATTRIBUTE_ADDED", withDefault, at);
      }
    }
  }

  /** Open: no {@code additionalProperties} schema or false, no {@code patternProperties}: anything may be there. */
  private static boolean open(JsonObject s) {
    Object extra = s.getValue("additionalProperties");
    return (extra == null || Boolean.TRUE.equals(extra)) && !(s.getValue("patternProperties") instanceof JsonObject);
  }

  /** What a partially open content model says about {@code name}: the matching pattern's schema, else extras'. */
  private static Object partial(JsonObject s, String name) {
    if (s.getValue("patternProperties") instanceof JsonObject patterns) {
      for (Map.Entry<String, Object> e : patterns) {
        if (Pattern.compile(e.getKey()).matcher(name).find()) {
          return e.getValue();
        }
      }
    }
    Object extra = s.getValue("additionalProperties");
    return extra instanceof JsonObject ? extra : null;
  }

  private static void properties(JsonSchemaCompatibility c, JsonObject o, JsonObject u, String path) {
    JsonObject op = properties(o);
    JsonObject up = properties(u);
    Set<String> names = new TreeSet<>(op.fieldNames());
    names.addAll(up.fieldNames());
    for (String name : names) {
      String at = path + "/properties/" + name;
      if (!up.containsKey(name)) {
        removed(c, op.getValue(name), u, name, at);
      } else if (!op.containsKey(name)) {
        added(c, o, up.getValue(name), required(u).contains(name), hasDefault(up, name), name, at);
      } else {
        c.compareSub(op.getValue(name), up.getValue(name), at);
      }
    }
  }

  /** A property the reader no longer names: its content model must still take what the writer wrote there. */
  private static void removed(JsonSchemaCompatibility c, Object was, JsonObject u, String name, String at) {
    if (open(u)) {
      c.record("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", true, at);
      return;
    }
    Object covering = partial(u, name);
    if (covering != null) {
      covered(c, was, covering, "PROPERTY_REMOVED", at);
    } else if (Boolean.FALSE.equals(was)) {
      c.record("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", true, at);
    } else {
      c.record("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", false, at);
    }
  }

  /** A property the writer did not name: under an open model the writer may have written anything there. */
  private static void added(JsonSchemaCompatibility c, JsonObject o, Object now, boolean required,
      boolean withDefault, String name, String at) {
    if (open(o)) {
      boolean empty = Boolean.TRUE.equals(now) || now instanceof JsonObject j && j.isEmpty();
      c.record(empty ? "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" : "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
          empty, at);
      return;
    }
    Object covering = partial(o, name);
    if (covering != null) {
      covered(c, covering, now, "PROPERTY_ADDED", at);
    }
    if (!required) {
      c.record("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true, at);
    } else {
      c.record(withDefault ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
          : "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", withDefault, at);
    }
  }

  /** Whether what a partially open content model says of a property reads what was written / is read there. */
  private static void covered(JsonSchemaCompatibility c, Object writer, Object reader, String change, String at) {
    boolean ok = c.compatibleSub(writer, reader, at);
    c.record(change + (ok ? "_IS_COVERED" : "_NOT_COVERED") + "_BY_PARTIALLY_OPEN_CONTENT_MODEL", ok, at);
  }

  /**
   * {@code additionalProperties} / {@code additionalItems}: allowing extras again is safe, forbidding them is not; a
   * schema for extras narrows "anything" and is compared with a schema the writer had.
   */
  private static void additional(JsonSchemaCompatibility c, Object o, Object u, String name, String at) {
    boolean oPermits = !Boolean.FALSE.equals(o);
    boolean uPermits = !Boolean.FALSE.equals(u);
    boolean oSchema = o instanceof JsonObject;
    boolean uSchema = u instanceof JsonObject;
    if (oPermits != uPermits) {
      c.record(name + (uPermits ? "_ADDED" : "_REMOVED"), uPermits, at);
    } else if (!oSchema && uSchema && oPermits) {
      c.record(name + "_NARROWED", false, at);
    } else if (oSchema && !uSchema) {
      c.record(name + "_EXTENDED", true, at);
    } else if (oSchema) {
      c.compareSub(o, u, at);
    }
  }

  /** {@code items}: one schema compared with one; a tuple ({@code prefixItems} or an array) position by position. */
  private static void items(JsonSchemaCompatibility c, JsonObject o, JsonObject u, String path) {
    JsonArray ot = tuple(o);
    JsonArray ut = tuple(u);
    if (ot == null && ut == null) {
      if (o.getValue("items") != null || u.getValue("items") != null) {
        c.compareSub(o.getValue("items"), u.getValue("items"), path + "/items");
      }
      return;
    }
    ot = ot == null ? new JsonArray() : ot;
    ut = ut == null ? new JsonArray() : ut;
    Object oExtra = extraItems(o);
    Object uExtra = extraItems(u);
    for (int i = 0; i < Math.max(ot.size(), ut.size()); i++) {
      String at = path + "/items/" + i;
      if (i >= ut.size()) { // the reader reads this position as an extra item
        boolean ok = !Boolean.FALSE.equals(uExtra) && c.compatibleSub(ot.getValue(i), uExtra, at);
        c.record(ok ? "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" : "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            ok, at);
      } else if (i >= ot.size()) { // the writer wrote this position as an extra item
        boolean ok = Boolean.FALSE.equals(oExtra) || c.compatibleSub(oExtra, ut.getValue(i), at);
        c.record(ok ? "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL" : "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", ok, at);
      } else {
        c.compareSub(ot.getValue(i), ut.getValue(i), at);
      }
    }
    additional(c, oExtra, uExtra, "ADDITIONAL_ITEMS", path + "/additionalItems");
  }

  private static JsonArray tuple(JsonObject s) {
    if (s.getValue("prefixItems") instanceof JsonArray prefix) {
      return prefix;
    }
    return s.getValue("items") instanceof JsonArray tuple ? tuple : null;
  }

  /** What a tuple schema says about positions after the tuple: {@code items} (2020-12) or {@code additionalItems}. */
  private static Object extraItems(JsonObject s) {
    Object extra = s.containsKey("prefixItems") ? s.getValue("items") : s.getValue("additionalItems");
    return extra == null ? Boolean.TRUE : extra;
  }
}
