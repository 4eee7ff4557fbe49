package io.sluice.schema;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One version of a subject as {@code _schemas} holds it, in Confluent's record format (a key
 * {@code {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}}, this as its value), so that the topic reads the same
 * to Confluent's own tools. {@code schema} is the text as registered; {@code deleted}: soft-deleted.
 */
record StoredSchema(String subject, int version, int id, String type, String schema, List<Reference> references,
    boolean deleted) {
  static final String AVRO = "AVRO";

  /** A schema's reference to another subject's version: {@code name} is how the schema names it. */
  record Reference(String name, String subject, int version) {
    JsonObject toJson() {
      return new JsonObject().put("name", name).put("subject", subject).put("version", version);
    }
  }

  StoredSchema {
    references = List.copyOf(references);
  }

  StoredSchema withDeleted(boolean deleted) {
    return new StoredSchema(subject, version, id, type, schema, references, deleted);
  }

  /** The record's key in {@code _schemas}; its fields in Confluent's order, since compaction compares the bytes. */
  static String key(String subject, int version) {
    return new JsonObject().put("keytype", "SCHEMA").put("subject", subject).put("version", version).put("magic", 1)
        .encode();
  }

  String key() {
    return key(subject, version);
  }

  JsonObject toRecord() {
    JsonObject out = new JsonObject().put("subject", subject).put("version", version).put("id", id);
    if (!AVRO.equals(type)) {
      out.put("schemaType", type);
    }
    return out.put("references", referencesJson()).put("schema", schema).put("deleted", deleted);
  }

  static StoredSchema fromRecord(JsonObject value) {
    return new StoredSchema(value.getString("subject"), value.getInteger("version"), value.getInteger("id"),
        value.getString("schemaType", AVRO), value.getString("schema"), references(value.getJsonArray("references")),
        value.getBoolean("deleted", false));
  }

  /** A request's or a record's {@code references}; 42201 when one is not {name, subject, version}. */
  static List<Reference> references(JsonArray array) {
    List<Reference> out = new ArrayList<>();
    if (array == null) {
      return out;
    }
    for (Object o : array) {
      if (!(o instanceof JsonObject r) || r.getValue("name") == null || r.getValue("subject") == null
          || !(r.getValue("version") instanceof Number)) {
        throw RegistryException.invalidSchema("Each reference needs a name, a subject and a version");
      }
      out.add(new Reference(r.getString("name"), r.getString("subject"), r.getInteger("version")));
    }
    return out;
  }

  JsonArray referencesJson() {
    JsonArray out = new JsonArray();
    references.forEach(r -> out.add(r.toJson()));
    return out;
  }

  /** The answer of {@code GET /subjects/{s}/versions/{v}}: the schema type only when it is not Avro, as Confluent. */
  JsonObject toAnswer() {
    JsonObject out = new JsonObject().put("subject", subject).put("version", version).put("id", id);
    if (!AVRO.equals(type)) {
      out.put("schemaType", type);
    }
    if (!references.isEmpty()) {
      out.put("references", referencesJson());
    }
    return out.put("schema", schema);
  }
}
