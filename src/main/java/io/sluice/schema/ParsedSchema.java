package io.sluice.schema;

import io.sluice.schema.StoredSchema.Reference;
import java.util.List;
import java.util.function.Function;

/**
 * A schema text parsed by its type ({@link AvroSchema}, {@link ProtobufSchema}, {@link JsonSchemaSchema}; the
 * referenced subjects' schemas parsed with it). {@link #canonical} is what the same-schema check compares (spelling
 * that does not change what readers do does not count); {@link #normalized} is the form {@code normalize=true}
 * compares and stores, Confluent's normalization. Parsing and comparing block: run them on worker threads.
 */
interface ParsedSchema {
  String JSON = "JSON";
  String PROTOBUF = "PROTOBUF";
  /** The types {@code GET /schemas/types} lists, in Confluent's order. */
  List<String> TYPES = List.of(JSON, PROTOBUF, StoredSchema.AVRO);

  String type();

  String canonical();

  /** The normalized text (Confluent's {@code normalize=true}); by default the canonical one. */
  default String normalized() {
    return canonical();
  }

  /**
   * What keeps data written with {@code writer} (a schema of this type) from being read with this schema, in
   * Confluent's verbose form; empty when it can be.
   *
   * @param newIsReader whether this schema is the one being checked (the "new" one of the messages)
   */
  List<String> readProblems(ParsedSchema writer, boolean newIsReader);

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
    return switch (type) {
      case StoredSchema.AVRO -> AvroSchema.parse(text, references, resolve);
      case PROTOBUF -> ProtobufSchema.parse(text, references, resolve);
      case JSON -> JsonSchemaSchema.parse(text, references, resolve);
      default -> throw RegistryException.invalidSchema("Invalid schema type " + type + "; this registry supports "
          + String.join(", ", TYPES));
    };
  }

  /** A reference's target, or 42201 naming the reference when it does not exist. */
  static StoredSchema resolved(Reference ref, Function<Reference, StoredSchema> resolve) {
    StoredSchema target = resolve.apply(ref);
    if (target == null) {
      throw RegistryException.invalidSchema("Invalid schema: reference " + ref.name() + " names subject '"
          + ref.subject() + "' version " + ref.version() + ", which does not exist");
    }
    return target;
  }
}
