package io.sluice.schema;

import java.util.ArrayList;
import java.util.List;

/**
 * One difference a Protobuf or JSON Schema comparison found between the schema that wrote ("original") and the one
 * that reads ("update"), in Confluent's vocabulary: its type (Confluent's name for the change), the path where it
 * is, and whether readers survive it.
 */
record SchemaDifference(String type, String path, boolean compatible) {

  /** The incompatible differences as Confluent's verbose messages name them. */
  static List<String> messages(List<SchemaDifference> differences, boolean newIsReader) {
    List<String> out = new ArrayList<>();
    for (SchemaDifference d : differences) {
      if (!d.compatible()) {
        out.add("{errorType:'" + d.type() + "', description:'The " + (newIsReader ? "new" : "old") + " schema,"
            + " reading what the " + (newIsReader ? "old" : "new") + " schema wrote, finds " + d.type() + " at path '"
            + d.path() + "''}");
      }
    }
    return out;
  }
}
