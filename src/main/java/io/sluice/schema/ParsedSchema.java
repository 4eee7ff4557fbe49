package io.sluice.schema;

import io.sluice.schema.StoredSchema.Reference;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * A schema text parsed by its type: Avro by Apache Avro's parser (defaults validated; the referenced subjects'
 * schemas parsed first, so their named types resolve), JSON Schema as a JSON document (an object or a boolean).
 * {@link #canonical} is what the same-schema check compares: Avro's own JSON form of the parsed schema (whitespace,
 * key order and the choice of inline or named spelling do not matter; defaults, docs and properties do, since they
 * change what readers do). Compatibility is Avro's reader/writer check; JSON schemas are not checked against each
 * other (documented: the registry parses them and compares their canonical JSON only).
 */
final class ParsedSchema {
  static final String JSON = "JSON";
  static final List<String> TYPES = List.of(JSON, StoredSchema.AVRO);

  private final String type;
  private final Schema avro;
  private final String canonical;

  private ParsedSchema(String type, Schema avro, String canonical) {
    this.type = type;
    this.avro = avro;
    this.canonical = canonical;
  }

  String type() {
    return type;
  }

  String canonical() {
    return canonical;
  }

  /**
   * Parses {@code text} of {@code type}; {@code resolve} finds each reference's version (null: it does not exist).
   *
   * @throws RegistryException 42201 when the type is unknown, the text is no valid schema of it, or a reference
   *     does not resolve
   */
  static ParsedSchema parse(String type, String text, List<Reference> references,
      Function<Reference, StoredSchema> resolve) {
    if (text == null) {
      throw RegistryException.invalidSchema("Empty schema");
    }
    if (StoredSchema.AVRO.equals(type)) {
      return avro(text, references, resolve);
    }
    if (JSON.equals(type)) {
      return json(text);
    }
    throw RegistryException.invalidSchema("Invalid schema type " + type + "; this registry supports "
        + String.join(", ", TYPES));
  }

  private static ParsedSchema avro(String text, List<Reference> references,
      Function<Reference, StoredSchema> resolve) {
    Schema.Parser parser = new Schema.Parser().setValidateDefaults(true);
    try {
      defineReferenced(parser, references, resolve, new HashSet<>());
      Schema schema = parser.parse(text);
      return new ParsedSchema(StoredSchema.AVRO, schema, schema.toString());
    } catch (AvroRuntimeException | IllegalArgumentException e) { // SchemaParseException, a bad default, bad JSON
      throw RegistryException.invalidSchema("Invalid schema " + text + ": " + e.getMessage());
    }
  }

  /** Parses each referenced schema (its own references first) into {@code parser}, once each. */
  private static void defineReferenced(Schema.Parser parser, List<Reference> references,
      Function<Reference, StoredSchema> resolve, Set<String> defined) {
    for (Reference ref : references) {
      StoredSchema target = resolve.apply(ref);
      if (target == null) {
        throw RegistryException.invalidSchema("Invalid schema: reference " + ref.name() + " names subject '"
            + ref.subject() + "' version " + ref.version() + ", which does not exist");
      }
      if (defined.add(target.subject() + "\u0000" + target.version())) {
        defineReferenced(parser, target.references(), resolve, defined);
        parser.parse(target.schema());
      }
    }
  }

  private static ParsedSchema json(String text) {
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": not JSON: " + e.getMessage());
    }
    if (!(value instanceof JsonObject) && !(value instanceof Boolean)) {
      throw RegistryException.invalidSchema("Invalid schema " + text + ": a JSON Schema is an object or a boolean");
    }
    return new ParsedSchema(JSON, null, Json.encode(value));
  }

  /**
   * What keeps data written with {@code writer} from being read with {@code reader}, in Confluent's verbose form;
   * empty when it can be (and for JSON schemas, which are not checked).
   *
   * @param newIsReader whether {@code reader} is the schema being checked (the "new" one of the messages)
   */
  static List<String> readProblems(ParsedSchema reader, ParsedSchema writer, boolean newIsReader) {
    List<String> out = new ArrayList<>();
    if (reader.avro == null || writer.avro == null) {
      return out;
    }
    for (Incompatibility i : SchemaCompatibility.checkReaderWriterCompatibility(reader.avro, writer.avro).getResult()
        .getIncompatibilities()) {
      out.add("{errorType:'" + i.getType() + "', description:'The " + (newIsReader ? "new" : "old")
          + " schema, reading at path '" + i.getLocation() + "' what the " + (newIsReader ? "old" : "new")
          + " schema wrote: " + i.getMessage() + "', additionalInfo:'" + i.getMessage() + "'}");
    }
    return out;
  }
}
