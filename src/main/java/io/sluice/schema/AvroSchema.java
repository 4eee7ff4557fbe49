package io.sluice.schema;

import io.sluice.schema.StoredSchema.Reference;
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
 * An Avro schema parsed by Apache Avro's parser (defaults validated; the referenced subjects' schemas parsed first,
 * so their named types resolve). Its canonical form is Avro's own JSON form of the parsed schema (whitespace, key
 * order and the choice of inline or named spelling do not matter; defaults, docs and properties do, since they change
 * what readers do). Compatibility is Avro's reader/writer check.
 */
final class AvroSchema implements ParsedSchema {
  private final Schema avro;
  private final String canonical;

  private AvroSchema(Schema avro) {
    this.avro = avro;
    this.canonical = avro.toString();
  }

  @Override
  public String type() {
    return StoredSchema.AVRO;
  }

  @Override
  public String canonical() {
    return canonical;
  }

  static AvroSchema parse(String text, List<Reference> references, Function<Reference, StoredSchema> resolve) {
    Schema.Parser parser = new Schema.Parser().setValidateDefaults(true);
    try {
      defineReferenced(parser, references, resolve, new HashSet<>());
      return new AvroSchema(parser.parse(text));
    } catch (AvroRuntimeException | IllegalArgumentException e) { // SchemaParseException, a bad default, bad JSON
      throw RegistryException.invalidSchema("Invalid schema " + text + ": " + e.getMessage());
    }
  }

  /** Parses each referenced schema (its own references first) into {@code parser}, once each. */
  private static void defineReferenced(Schema.Parser parser, List<Reference> references,
      Function<Reference, StoredSchema> resolve, Set<String> defined) {
    for (Reference ref : references) {
      StoredSchema target = ParsedSchema.resolved(ref, resolve);
      if (defined.add(target.subject() + "\u0000" + target.version())) {
        defineReferenced(parser, target.references(), resolve, defined);
        parser.parse(target.schema());
      }
    }
  }

  @Override
  public List<String> readProblems(ParsedSchema writer, boolean newIsReader) {
    List<String> out = new ArrayList<>();
    for (Incompatibility i : SchemaCompatibility.checkReaderWriterCompatibility(avro, ((AvroSchema) writer).avro)
        .getResult().getIncompatibilities()) {
      out.add("{errorType:'" + i.getType() + "', description:'The " + (newIsReader ? "new" : "old")
          + " schema, reading at path '" + i.getLocation() + "' what the " + (newIsReader ? "old" : "new")
          + " schema wrote: " + i.getMessage() + "', additionalInfo:'" + i.getMessage() + "'}");
    }
    return out;
  }
}
