package io.sluice.schema;

import com.squareup.wire.schema.EnumConstant;
import com.squareup.wire.schema.EnumType;
import com.squareup.wire.schema.Field;
import com.squareup.wire.schema.MessageType;
import com.squareup.wire.schema.OneOf;
import com.squareup.wire.schema.ProtoFile;
import com.squareup.wire.schema.ProtoType;
import com.squareup.wire.schema.Schema;
import com.squareup.wire.schema.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Confluent's Protobuf compatibility: the differences between the schema that wrote ("original") and the one that
 * reads ("update"), each a {@link Change} that readers survive or not. Fields are matched by number, messages and
 * enums by name, one-ofs by name. BACKWARD compares the latest version (original) with the new one (update),
 * FORWARD the other way round. What breaks: a removed message or a renamed package, a field whose kind (scalar,
 * message, map) or scalar wire group changes, a field of another named message type, a required field added or
 * removed (or an existing one made required, which is how a proto2-to-proto3 change breaks), a removed one-of member,
 * and fields moved into a one-of that could then overwrite each other. Names of fields and enum constants, added
 * fields, messages and enums, and moved messages do not matter on the wire.
 */
final class ProtobufCompatibility {
  /** Confluent's difference types; {@code compatible}: whether a reader survives it. */
  enum Change {
    PACKAGE_CHANGED(false), MESSAGE_ADDED(true), MESSAGE_REMOVED(false), MESSAGE_MOVED(true),
    ENUM_ADDED(true), ENUM_REMOVED(true), ENUM_CONST_ADDED(true), ENUM_CONST_CHANGED(true), ENUM_CONST_REMOVED(true),
    FIELD_ADDED(true), FIELD_REMOVED(true), FIELD_NAME_CHANGED(true), FIELD_KIND_CHANGED(false),
    FIELD_SCALAR_KIND_CHANGED(false), FIELD_NAMED_TYPE_CHANGED(false), REQUIRED_FIELD_ADDED(false),
    REQUIRED_FIELD_REMOVED(false), ONEOF_ADDED(true), ONEOF_REMOVED(true), ONEOF_FIELD_ADDED(true),
    ONEOF_FIELD_REMOVED(false), MULTIPLE_FIELDS_MOVED_TO_ONEOF(false), FIELD_MOVED_TO_EXISTING_ONEOF(false);

    final boolean compatible;

    Change(boolean compatible) {
      this.compatible = compatible;
    }
  }

  /** Scalars that share a wire encoding, so that a field may change between them (protobuf's "updating" rules). */
  private static final Map<String, String> SCALAR_GROUPS = Map.ofEntries(Map.entry("int32", "varint"),
      Map.entry("int64", "varint"), Map.entry("uint32", "varint"), Map.entry("uint64", "varint"),
      Map.entry("bool", "varint"), Map.entry("sint32", "zigzag"), Map.entry("sint64", "zigzag"),
      Map.entry("string", "length"), Map.entry("bytes", "length"), Map.entry("fixed32", "fixed32"),
      Map.entry("sfixed32", "fixed32"), Map.entry("fixed64", "fixed64"), Map.entry("sfixed64", "fixed64"),
      Map.entry("float", "float"), Map.entry("double", "double"));

  private final Schema original;
  private final Schema update;
  private final List<SchemaDifference> out = new ArrayList<>();
  /** Pairs of named types already compared, so that recursive messages end. */
  private final Set<String> compared = new HashSet<>();

  private ProtobufCompatibility(Schema original, Schema update) {
    this.original = original;
    this.update = update;
  }

  /** Every difference from {@code original} (the writer) to {@code update} (the reader). */
  static List<SchemaDifference> compare(ProtobufSchema original, ProtobufSchema update) {
    ProtobufCompatibility c = new ProtobufCompatibility(original.linked(), update.linked());
    ProtoFile o = original.file();
    ProtoFile u = update.file();
    if (!Objects.equals(o.getPackageName(), u.getPackageName())) {
      c.add(Change.PACKAGE_CHANGED, "#/");
    }
    c.types(o.getTypes(), u.getTypes(), "#/");
    return c.out;
  }

  private void add(Change change, String path) {
    out.add(new SchemaDifference(change.name(), path, change.compatible));
  }

  private void types(List<Type> originals, List<Type> updates, String path) {
    Map<String, Type> o = byName(originals);
    Map<String, Type> u = byName(updates);
    List<String> oMessages = messageNames(originals);
    List<String> uMessages = messageNames(updates);
    Set<String> names = new TreeSet<>(o.keySet());
    names.addAll(u.keySet());
    for (String name : names) {
      Type ot = o.get(name);
      Type ut = u.get(name);
      boolean isEnum = (ot != null ? ot : ut) instanceof EnumType;
      if (ut == null) {
        add(isEnum ? Change.ENUM_REMOVED : Change.MESSAGE_REMOVED, path + name);
      } else if (ot == null) {
        add(isEnum ? Change.ENUM_ADDED : Change.MESSAGE_ADDED, path + name);
      } else if (ot instanceof MessageType om && ut instanceof MessageType um) {
        message(om, um, path + name + "/");
        if (oMessages.indexOf(name) != uMessages.indexOf(name)) {
          add(Change.MESSAGE_MOVED, path + name); // message indexes are read against the writer's schema id
        }
      } else if (ot instanceof EnumType oe && ut instanceof EnumType ue) {
        constants(oe, ue, path + name + "/");
      } else {
        add(Change.MESSAGE_REMOVED, path + name); // a message became an enum or the other way round
      }
    }
  }

  private static Map<String, Type> byName(List<Type> types) {
    Map<String, Type> out = new LinkedHashMap<>();
    types.forEach(t -> out.put(t.getType().getSimpleName(), t));
    return out;
  }

  private static List<String> messageNames(List<Type> types) {
    return types.stream().filter(t -> t instanceof MessageType).map(t -> t.getType().getSimpleName()).toList();
  }

  private void constants(EnumType o, EnumType u, String path) {
    Map<Integer, EnumConstant> ob = new HashMap<>();
    o.getConstants().forEach(c -> ob.put(c.getTag(), c));
    Map<Integer, EnumConstant> ub = new HashMap<>();
    u.getConstants().forEach(c -> ub.put(c.getTag(), c));
    Set<Integer> tags = new TreeSet<>(ob.keySet());
    tags.addAll(ub.keySet());
    for (int tag : tags) {
      if (!ub.containsKey(tag)) {
        add(Change.ENUM_CONST_REMOVED, path + tag);
      } else if (!ob.containsKey(tag)) {
        add(Change.ENUM_CONST_ADDED, path + tag);
      } else if (!ob.get(tag).getName().equals(ub.get(tag).getName())) {
        add(Change.ENUM_CONST_CHANGED, path + tag);
      }
    }
  }

  // ---- messages ----

  private void message(MessageType o, MessageType u, String path) {
    if (!compared.add(o.getType() + "\u0000" + u.getType())) {
      return;
    }
    Map<Integer, Field> oTop = byTag(o.getDeclaredFields());
    Map<Integer, Field> uTop = byTag(u.getDeclaredFields());
    Map<Integer, String> oOneOfOf = oneOfByTag(o);
    Map<Integer, String> uOneOfOf = oneOfByTag(u);
    movedIntoOneOfs(u, oTop, oOneOfOf, path);
    oneOfs(o, u, path);
    Set<Integer> tags = new TreeSet<>(oTop.keySet());
    tags.addAll(uTop.keySet());
    for (int tag : tags) {
      Field of = oTop.get(tag);
      Field uf = uTop.get(tag);
      if (uf == null && !uOneOfOf.containsKey(tag)) {
        add(of.isRequired() ? Change.REQUIRED_FIELD_REMOVED : Change.FIELD_REMOVED, path + tag);
      } else if (of == null && uf != null && !oOneOfOf.containsKey(tag)) {
        add(uf.isRequired() ? Change.REQUIRED_FIELD_ADDED : Change.FIELD_ADDED, path + tag);
      } else if (of != null && uf != null) {
        field(of, uf, path + tag);
      }
    }
    movedFields(o, u, oOneOfOf, uOneOfOf, path);
    types(o.getNestedTypes(), u.getNestedTypes(), path);
  }

  private static Map<Integer, Field> byTag(List<Field> fields) {
    Map<Integer, Field> out = new HashMap<>();
    fields.forEach(f -> out.put(f.getTag(), f));
    return out;
  }

  private static Map<Integer, String> oneOfByTag(MessageType m) {
    Map<Integer, String> out = new HashMap<>();
    m.getOneOfs().forEach(one -> one.getFields().forEach(f -> out.put(f.getTag(), one.getName())));
    return out;
  }

  /** Fields moved into a one-of: safe only one at a time into a new one-of, since its members overwrite each other. */
  private void movedIntoOneOfs(MessageType u, Map<Integer, Field> oTop, Map<Integer, String> oOneOfOf, String path) {
    for (OneOf one : u.getOneOfs()) {
      long moved = one.getFields().stream().filter(f -> oTop.containsKey(f.getTag())).count();
      long existing = one.getFields().stream().filter(f -> oOneOfOf.containsKey(f.getTag())).count();
      if (moved > 1) {
        add(Change.MULTIPLE_FIELDS_MOVED_TO_ONEOF, path + one.getName());
      } else if (moved == 1 && existing > 0) {
        add(Change.FIELD_MOVED_TO_EXISTING_ONEOF, path + one.getName());
      }
    }
  }

  private void oneOfs(MessageType o, MessageType u, String path) {
    Map<String, OneOf> ob = new HashMap<>();
    o.getOneOfs().forEach(one -> ob.put(one.getName(), one));
    Map<String, OneOf> ub = new HashMap<>();
    u.getOneOfs().forEach(one -> ub.put(one.getName(), one));
    Set<Integer> uTags = new HashSet<>();
    u.getFieldsAndOneOfFields().forEach(f -> uTags.add(f.getTag()));
    Set<String> names = new TreeSet<>(ob.keySet());
    names.addAll(ub.keySet());
    for (String name : names) {
      if (!ub.containsKey(name)) {
        add(Change.ONEOF_REMOVED, path + name);
      } else if (!ob.containsKey(name)) {
        add(Change.ONEOF_ADDED, path + name);
      } else {
        oneOfFields(ob.get(name), ub.get(name), uTags, path + name + "/");
      }
    }
  }

  private void oneOfFields(OneOf o, OneOf u, Set<Integer> uTags, String path) {
    Map<Integer, Field> ob = byTag(o.getFields());
    Map<Integer, Field> ub = byTag(u.getFields());
    Set<Integer> tags = new TreeSet<>(ob.keySet());
    tags.addAll(ub.keySet());
    for (int tag : tags) {
      if (!ub.containsKey(tag)) {
        if (!uTags.contains(tag)) { // moved out of the one-of elsewhere is no removal
          add(Change.ONEOF_FIELD_REMOVED, path + tag);
        }
      } else if (!ob.containsKey(tag)) {
        add(Change.ONEOF_FIELD_ADDED, path + tag);
      } else {
        field(ob.get(tag), ub.get(tag), path + tag);
      }
    }
  }

  /** Fields whose one-of membership changed are compared by number too, wherever they now are. */
  private void movedFields(MessageType o, MessageType u, Map<Integer, String> oOneOfOf, Map<Integer, String> uOneOfOf,
      String path) {
    Map<Integer, Field> oAll = byTag(o.getFieldsAndOneOfFields());
    Map<Integer, Field> uAll = byTag(u.getFieldsAndOneOfFields());
    for (int tag : new TreeSet<>(oAll.keySet())) {
      boolean bothTop = !oOneOfOf.containsKey(tag) && !uOneOfOf.containsKey(tag);
      boolean sameOneOf = oOneOfOf.containsKey(tag) && oOneOfOf.get(tag).equals(uOneOfOf.get(tag));
      if (uAll.containsKey(tag) && !bothTop && !sameOneOf) {
        field(oAll.get(tag), uAll.get(tag), path + tag);
      }
    }
  }

  // ---- fields ----

  private void field(Field o, Field u, String path) {
    if (!o.getName().equals(u.getName())) {
      add(Change.FIELD_NAME_CHANGED, path);
    }
    if (u.isRequired() && !o.isRequired()) {
      add(Change.REQUIRED_FIELD_ADDED, path); // the writer may leave out what the reader requires
    }
    fieldType(o.getType(), u.getType(), path);
  }

  private enum Kind { SCALAR, MAP, MESSAGE }

  private void fieldType(ProtoType o, ProtoType u, String path) {
    Kind ok = kind(original, o);
    Kind uk = kind(update, u);
    if (ok != uk) {
      add(Change.FIELD_KIND_CHANGED, path);
    } else if (ok == Kind.SCALAR) {
      if (!scalarGroup(original, o).equals(scalarGroup(update, u))) {
        add(Change.FIELD_SCALAR_KIND_CHANGED, path);
      }
    } else if (ok == Kind.MAP) {
      fieldType(o.getKeyType(), u.getKeyType(), path);
      fieldType(o.getValueType(), u.getValueType(), path);
    } else {
      namedType(o, u, path);
    }
  }

  private static Kind kind(Schema schema, ProtoType type) {
    if (type.isScalar() || schema.getType(type) instanceof EnumType) {
      return Kind.SCALAR;
    }
    return type.isMap() ? Kind.MAP : Kind.MESSAGE;
  }

  /** An enum travels as a varint, like int32. */
  private static String scalarGroup(Schema schema, ProtoType type) {
    return schema.getType(type) instanceof EnumType ? "varint" : SCALAR_GROUPS.getOrDefault(type.toString(), "?");
  }

  /**
   * A field of a message type: the types' names without their packages must match, and a type from another file (a
   * reference) is compared field by field, since the top-level comparison covers only this file's own types.
   */
  private void namedType(ProtoType o, ProtoType u, String path) {
    if (!localName(original, o).equals(localName(update, u))) {
      add(Change.FIELD_NAMED_TYPE_CHANGED, path);
      return;
    }
    if (isMain(original, o) && isMain(update, u)) {
      return;
    }
    int before = out.size();
    message((MessageType) original.getType(o), (MessageType) update.getType(u), path + "/" + o.getSimpleName() + "/");
    if (out.subList(before, out.size()).stream().anyMatch(d -> !d.compatible())) {
      add(Change.FIELD_NAMED_TYPE_CHANGED, path);
    }
  }

  private static String localName(Schema schema, ProtoType type) {
    String pkg = schema.protoFile(type).getPackageName();
    String full = type.toString();
    return pkg != null && full.startsWith(pkg + ".") ? full.substring(pkg.length() + 1) : full;
  }

  private static boolean isMain(Schema schema, ProtoType type) {
    return schema.protoFile(type).getLocation().getPath().equals(ProtobufSchema.MAIN);
  }
}
