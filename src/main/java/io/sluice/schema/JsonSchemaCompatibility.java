package io.sluice.schema;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Confluent's JSON Schema compatibility: the differences between the schema that wrote ("original") and the one that
 * reads ("update"), named as Confluent names them. A reader survives a change that accepts at least what the writer
 * produced: a type widened, a bound loosened or removed, an enum extended, a property removed from or added to a
 * closed content model ({@code additionalProperties: false}). It does not survive one that narrows: a type narrowed
 * or changed, a bound added or tightened, a property required without a default, a property added to an open content
 * model (the writer may have written anything under that name) or removed from a closed one. BACKWARD compares the
 * latest version (original) with the new one (update), FORWARD the other way round. {@code $ref}s resolve within the
 * document and into referenced subjects' schemas (by the reference's name).
 */
final class JsonSchemaCompatibility {
  /** A numeric bound: {@code upper} when a larger value accepts more. */
  private record Bound(String keyword, boolean upper) {
  }

  private static final List<Bound> BOUNDS = List.of(new Bound("maxLength", true), new Bound("minLength", false),
      new Bound("maximum", true), new Bound("minimum", false), new Bound("exclusiveMaximum", true),
      new Bound("exclusiveMinimum", false), new Bound("maxItems", true), new Bound("minItems", false),
      new Bound("maxProperties", true), new Bound("minProperties", false));
  /** Annotations: a change is recorded and always compatible. */
  private static final Map<String, String> ANNOTATIONS = Map.of("$id", "ID_CHANGED", "title", "TITLE_CHANGED",
      "description", "DESCRIPTION_CHANGED", "default", "DEFAULT_CHANGED");
  private static final List<String> SUMS = List.of("anyOf", "oneOf");

  private final JsonSchemaSchema original;
  private final JsonSchemaSchema update;
  private final List<SchemaDifference> out = new ArrayList<>();
  /** Pairs of subschemas being compared, so that recursive {@code $ref}s end. */
  private final Set<List<Integer>> comparing = new HashSet<>();

  private JsonSchemaCompatibility(JsonSchemaSchema original, JsonSchemaSchema update) {
    this.original = original;
    this.update = update;
  }

  /** Every difference from {@code original} (the writer) to {@code update} (the reader). */
  static List<SchemaDifference> compare(JsonSchemaSchema original, JsonSchemaSchema update) {
    JsonSchemaCompatibility c = new JsonSchemaCompatibility(original, update);
    c.compare(original.document(), update.document(), "#");
    return c.out;
  }

  private void add(String type, boolean compatible, String path) {
    out.add(new SchemaDifference(type, path, compatible));
  }

  /** Whether {@code update} reads all {@code original} writes, without recording anything. */
  private boolean compatible(Object o, Object u, String path) {
    int before = out.size();
    compare(o, u, path);
    boolean ok = out.subList(before, out.size()).stream().allMatch(SchemaDifference::compatible);
    out.subList(before, out.size()).clear();
    return ok;
  }

  private void compare(Object originalSchema, Object updateSchema, String path) {
    JsonObject o = resolve(original, originalSchema);
    JsonObject u = resolve(update, updateSchema);
    if (o == null || u.isEmpty()) {
      return; // the writer writes nothing (false), or the reader takes anything
    }
    List<Integer> pair = List.of(System.identityHashCode(o), System.identityHashCode(u));
    if (comparing.add(pair)) {
      try {
        compareResolved(o, u, path);
      } finally {
        comparing.remove(pair);
      }
    }
  }

  private void compareResolved(JsonObject o, JsonObject u, String path) {
    if (u == FALSE) {
      add("TYPE_CHANGED", false, path);
      return;
    }
    if (combined(o, u, path)) {
      return;
    }
    ANNOTATIONS.forEach((k, type) -> {
      if (!Objects.equals(o.getValue(k), u.getValue(k))) {
        add(type, true, path + "/" + k);
      }
    });
    types(o, u, path);
    BOUNDS.forEach(b -> bound(b, o, u, path));
    multipleOf(o, u, path);
    presence(o, u, "pattern", "PATTERN", path);
    presence(o, u, "uniqueItems", "UNIQUE_ITEMS", path);
    enums(o, u, path);
    JsonSchemaObjects.compare(this, o, u, path);
    if (o.containsKey("not") || u.containsKey("not")) {
      compareNot(o, u, path);
    }
  }

  /** {@code false} as an object, so that it can be told apart from {@code {}} (true). */
  private static final JsonObject FALSE = new JsonObject().put("not", new JsonObject());

  /** The subschema as an object: {@code true} is {@code {}}, {@code false} null for the writer; $refs followed. */
  private JsonObject resolve(JsonSchemaSchema in, Object schema) {
    Object s = schema;
    for (int hops = 0; s instanceof JsonObject ref && ref.getValue("$ref") instanceof String target && hops < 64;
        hops++) {
      s = dereference(in, target);
    }
    if (Boolean.TRUE.equals(s) || s == null) {
      return new JsonObject();
    }
    if (Boolean.FALSE.equals(s)) {
      return in == original ? null : FALSE;
    }
    return (JsonObject) s;
  }

  private static Object dereference(JsonSchemaSchema in, String ref) {
    int hash = ref.indexOf('#');
    String name = hash < 0 ? ref : ref.substring(0, hash);
    Object root = name.isEmpty() ? in.document() : in.referenced().get(name);
    if (root == null || hash < 0 || hash == ref.length() - 1) {
      return root;
    }
    return JsonPointer.from(ref.substring(hash + 1)).queryJson(root);
  }

  void compareSub(Object o, Object u, String path) {
    compare(o, u, path);
  }

  boolean compatibleSub(Object o, Object u, String path) {
    return compatible(o, u, path);
  }

  void record(String type, boolean compatible, String path) {
    add(type, compatible, path);
  }

  // ---- the rules ----

  /**
   * anyOf/oneOf/allOf: a sum type may gain members, a product type lose them; a plain schema may become a sum that
   * holds a member reading it. True when the comparison is done.
   */
  private boolean combined(JsonObject o, JsonObject u, String path) {
    String oc = combiner(o);
    String uc = combiner(u);
    if (oc == null && uc != null && SUMS.contains(uc)) {
      for (Object member : u.getJsonArray(uc)) {
        if (compatible(o, member, path)) {
          add("SUM_TYPE_EXTENDED", true, path);
          return true;
        }
      }
      add("TYPE_CHANGED", false, path);
      return true;
    }
    if (oc == null && uc == null) {
      return false;
    }
    if (!Objects.equals(oc, uc)) {
      add("COMBINED_TYPE_CHANGED", false, path);
      return true;
    }
    JsonArray om = o.getJsonArray(oc);
    JsonArray um = u.getJsonArray(uc);
    boolean sum = SUMS.contains(oc);
    JsonArray each = sum ? om : um; // every writer member needs a reader; every reader constraint a writer one
    JsonArray among = sum ? um : om;
    for (int i = 0; i < each.size(); i++) {
      Object member = each.getValue(i);
      String at = path + "/" + oc + "/" + i;
      if (among.stream().noneMatch(m -> sum ? compatible(member, m, at) : compatible(m, member, at))) {
        add(sum ? "SUM_TYPE_NARROWED" : "PRODUCT_TYPE_EXTENDED", false, at);
      }
    }
    if (um.size() != om.size()) {
      add(sum ? (um.size() > om.size() ? "SUM_TYPE_EXTENDED" : "SUM_TYPE_NARROWED")
          : (um.size() < om.size() ? "PRODUCT_TYPE_NARROWED" : "PRODUCT_TYPE_EXTENDED"), sum == um.size() > om.size(),
          path + "/" + oc);
    }
    return false;
  }

  private static String combiner(JsonObject s) {
    for (String k : List.of("anyOf", "oneOf", "allOf")) {
      if (s.getValue(k) instanceof JsonArray) {
        return k;
      }
    }
    return null;
  }

  /** {@code type}: a reader may take more types (an integer is a number), never fewer. */
  private void types(JsonObject o, JsonObject u, String path) {
    Set<String> ot = types(o);
    Set<String> ut = types(u);
    if (Objects.equals(ot, ut) || ut == null) {
      if (ut == null && ot != null) {
        add("TYPE_EXTENDED", true, path + "/type");
      }
      return;
    }
    if (ot == null) {
      add("TYPE_NARROWED", false, path + "/type");
    } else if (ot.stream().allMatch(t -> reads(ut, t))) {
      add("TYPE_EXTENDED", true, path + "/type");
    } else if (ut.stream().allMatch(t -> reads(ot, t))) {
      add("TYPE_NARROWED", false, path + "/type");
    } else {
      add("TYPE_CHANGED", false, path + "/type");
    }
  }

  private static Set<String> types(JsonObject s) {
    Object t = s.getValue("type");
    if (t instanceof String one) {
      return Set.of(one);
    }
    if (t instanceof JsonArray many) {
      Set<String> out = new TreeSet<>();
      many.forEach(v -> out.add(String.valueOf(v)));
      return out;
    }
    return null;
  }

  private static boolean reads(Set<String> readerTypes, String writerType) {
    return readerTypes.contains(writerType) || "integer".equals(writerType) && readerTypes.contains("number");
  }

  /** A bound may be removed or loosened, never added or tightened. */
  private void bound(Bound b, JsonObject o, JsonObject u, String path) {
    Object ov = o.getValue(b.keyword());
    Object uv = u.getValue(b.keyword());
    if (!(ov instanceof Number) && !(uv instanceof Number)) {
      return;
    }
    String name = constantCase(b.keyword());
    String at = path + "/" + b.keyword();
    if (!(ov instanceof Number on)) {
      add(name + "_ADDED", false, at);
    } else if (!(uv instanceof Number un)) {
      add(name + "_REMOVED", true, at);
    } else {
      int cmp = Double.compare(un.doubleValue(), on.doubleValue());
      if (cmp != 0) {
        add(name + (cmp > 0 ? "_INCREASED" : "_DECREASED"), cmp > 0 == b.upper(), at);
      }
    }
  }

  private static final Pattern CAMEL = Pattern.compile("(?<=[a-z])(?=[A-Z])");

  private static String constantCase(String keyword) {
    return CAMEL.matcher(keyword).replaceAll("_").toUpperCase(Locale.ROOT);
  }

  /** {@code multipleOf} may be removed or divide the old one. */
  private void multipleOf(JsonObject o, JsonObject u, String path) {
    Object ov = o.getValue("multipleOf");
    Object uv = u.getValue("multipleOf");
    String at = path + "/multipleOf";
    if (Objects.equals(ov, uv)) {
      return;
    }
    if (!(ov instanceof Number on)) {
      add("MULTIPLE_OF_ADDED", false, at);
    } else if (!(uv instanceof Number un)) {
      add("MULTIPLE_OF_REMOVED", true, at);
    } else {
      double ratio = on.doubleValue() / un.doubleValue();
      boolean divides = Math.abs(ratio - Math.rint(ratio)) < 1e-9;
      add(divides ? "MULTIPLE_OF_REDUCED" : un.doubleValue() % on.doubleValue() == 0 ? "MULTIPLE_OF_EXPANDED"
          : "MULTIPLE_OF_CHANGED", divides, at);
    }
  }

  /** A keyword that only restricts ({@code pattern}, {@code uniqueItems}): it may go, never come or change. */
  private void presence(JsonObject o, JsonObject u, String keyword, String name, String path) {
    Object ov = o.getValue(keyword);
    Object uv = u.getValue(keyword);
    if (Boolean.FALSE.equals(ov)) {
      ov = null;
    }
    if (Boolean.FALSE.equals(uv)) {
      uv = null;
    }
    if (Objects.equals(ov, uv)) {
      return;
    }
    String at = path + "/" + keyword;
    if (ov == null) {
      add(name + "_ADDED", false, at);
    } else if (uv == null) {
      add(name + "_REMOVED", true, at);
    } else {
      add(name + "_CHANGED", false, at);
    }
  }

  /** {@code enum} (and {@code const}, an enum of one): the reader's values must include the writer's. */
  private void enums(JsonObject o, JsonObject u, String path) {
    Set<Object> ov = values(o);
    Set<Object> uv = values(u);
    if (Objects.equals(ov, uv) || uv == null) {
      return;
    }
    String at = path + "/enum";
    if (ov == null) {
      add("ENUM_ARRAY_NARROWED", false, at);
    } else if (uv.containsAll(ov)) {
      add("ENUM_ARRAY_EXTENDED", true, at);
    } else {
      add(ov.containsAll(uv) ? "ENUM_ARRAY_NARROWED" : "ENUM_ARRAY_CHANGED", false, at);
    }
  }

  private static Set<Object> values(JsonObject s) {
    if (s.getValue("enum") instanceof JsonArray values) {
      return new HashSet<>(values.getList());
    }
    return s.containsKey("const") ? new HashSet<>(java.util.Collections.singletonList(s.getValue("const"))) : null;
  }

  /** {@code not}: what the reader forbids, the writer must forbid too: compared the other way round. */
  private void compareNot(JsonObject o, JsonObject u, String path) {
    if (!o.containsKey("not")) {
      add("NOT_TYPE_EXTENDED", false, path + "/not");
    } else if (u.containsKey("not")) {
      JsonSchemaCompatibility reversed = new JsonSchemaCompatibility(update, original);
      boolean ok = reversed.compatible(u.getValue("not"), o.getValue("not"), path + "/not");
      if (!ok) {
        add("NOT_TYPE_EXTENDED", false, path + "/not");
      }
    } else {
      add("NOT_TYPE_NARROWED", true, path + "/not");
    }
  }
}
