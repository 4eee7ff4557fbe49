package io.sluice.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.sluice.schema.StoredSchema.Reference;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A JSON Schema: a JSON document (an object or a boolean) that must be a valid schema of its dialect ({@code $schema};
 * draft 7 when it names none, as Confluent), checked against the dialect's meta-schema by networknt's validator
 * (the meta-schemas ship with it; nothing is fetched). References are other subjects' JSON schemas, which a
 * {@code $ref} names by the reference's {@code name}. {@link #canonical} is the document's compact JSON.
 * Compatibility is {@link JsonSchemaCompatibility}.
 */
final class JsonSchemaSchema implements ParsedSchema {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SchemaRegistry META = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);

  private final Object document;
  private final Map<String, Object> referenced;
  private final String canonical;

  private JsonSchemaSchema(Object document, Map<String, Object> referenced) {
    this.document = document;
    this.referenced = referenced;
    this.canonical = Json.encode(document);
  }

  @Override
  public String type() {
    return JSON;
  }

  @Override
  public String canonical() {
    return canonical;
  }

  /** The document: a {@link JsonObject} or a {@link Boolean}. */
  Object document() {
    return document;
  }

  /** The referenced subjects' documents by reference name. */
  Map<String, Object> referenced() {
    return referenced;
  }

  static JsonSchemaSchema parse(String text, List<Reference> references, Function<Reference, StoredSchema> resolve) {
    Object document = document(text);
    Map<String, Object> referenced = new HashMap<>();
    addReferenced(referenced, references, resolve);
    return new JsonSchemaSchema(document, referenced);
  }

  private static Object document(String text) {
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": not JSON: " + e.getMessage());
    }
    if (!(value instanceof JsonObject) && !(value instanceof Boolean)) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": a JSON Schema is an object or a boolean");
    }
    if (value instanceof JsonObject object) {
      validate(text, object);
    }
    return value;
  }

  /** 42201 naming the first rule of its dialect's meta-schema that {@code schema} breaks. */
  private static void validate(String text, JsonObject schema) {
    String dialect = schema.getValue("$schema") instanceof String s ? s : SpecificationVersion.DRAFT_7.getDialectId();
    if (SpecificationVersion.fromDialectId(dialect).isEmpty()) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": unknown $schema " + dialect + "; known: "
          + "drafts 4, 6, 7, 2019-09 and 2020-12");
    }
    List<Error> errors;
    try {
      JsonNode node = MAPPER.readTree(text);
      errors = META.getSchema(SchemaLocation.of(dialect)).validate(node);
    } catch (Exception e) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": " + e.getMessage());
    }
    if (!errors.isEmpty()) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": " + errors.get(0).getInstanceLocation()
          + " " + errors.get(0).getMessage());
    }
  }

  private static void addReferenced(Map<String, Object> referenced, List<Reference> references,
      Function<Reference, StoredSchema> resolve) {
    for (Reference ref : references) {
      if (!referenced.containsKey(ref.name())) {
        StoredSchema target = ParsedSchema.resolved(ref, resolve);
        referenced.put(ref.name(), Json.decodeValue(target.schema()));
        addReferenced(referenced, target.references(), resolve);
      }
    }
  }

  @Override
  public List<String> readProblems(ParsedSchema writer, boolean newIsReader) {
    return SchemaDifference.messages(JsonSchemaCompatibility.compare((JsonSchemaSchema) writer, this), newIsReader);
  }
}
