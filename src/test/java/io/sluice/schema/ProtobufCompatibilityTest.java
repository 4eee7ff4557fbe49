package io.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schema.Compatibility.Versioned;
import io.sluice.schema.StoredSchema.Reference;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Confluent's Protobuf rules, one pair per rule, checked at all seven levels in both directions. */
class ProtobufCompatibilityTest {
  static ParsedSchema proto(String text) {
    return ParsedSchema.parse(ParsedSchema.PROTOBUF, text, List.of(), ref -> null);
  }

  static String file(String body) {
    return "syntax = \"proto3\";\npackage t;\n" + body;
  }

  /** The levels' answers for a change the reader of {@code after} survives ({@code backward}) or not. */
  static void assertLevels(ParsedSchema before, ParsedSchema after, boolean backward, boolean forward) {
    List<Versioned> old = List.of(new Versioned(1, "before", before));
    for (Compatibility level : Compatibility.values()) {
      boolean expected = switch (level) {
        case NONE -> true;
        case BACKWARD, BACKWARD_TRANSITIVE -> backward;
        case FORWARD, FORWARD_TRANSITIVE -> forward;
        case FULL, FULL_TRANSITIVE -> backward && forward;
      };
      assertThat(level.problems(after, old).isEmpty()).as(level.name()).isEqualTo(expected);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // rule | before | after | backward | forward
      "field added | message M { int32 a = 1; } | message M { int32 a = 1; string b = 2; } | true | true",
      "field renamed | message M { int32 a = 1; } | message M { int32 b = 1; } | true | true",
      "int32 to int64 (same varint) | message M { int32 a = 1; } | message M { int64 a = 1; } | true | true",
      "string to bytes | message M { string a = 1; } | message M { bytes a = 1; } | true | true",
      "int32 to string | message M { int32 a = 1; } | message M { string a = 1; } | false | false",
      "int32 to sint32 (zigzag) | message M { int32 a = 1; } | message M { sint32 a = 1; } | false | false",
      "scalar to message | message M { int32 a = 1; } message N {} | message M { N a = 1; } message N {} | false | false",
      "field number changed | message M { int32 a = 1; } | message M { string a = 2; } | true | true",
      "message removed | message M {} message N {} | message M {} | false | true",
      "message renamed | message M {} | message R {} | false | false",
      "enum constant added | enum E { A = 0; } message M { E e = 1; } "
          + "| enum E { A = 0; B = 1; } message M { E e = 1; } | true | true",
      "enum to int32 | enum E { A = 0; } message M { E e = 1; } | enum E { A = 0; } message M { int32 e = 1; } "
          + "| true | true",
      "field moved into a new one-of | message M { int32 a = 1; } | message M { oneof o { int32 a = 1; } } "
          + "| true | true",
      "two fields moved into a one-of | message M { int32 a = 1; int32 b = 2; } "
          + "| message M { oneof o { int32 a = 1; int32 b = 2; } } | false | true",
      "one-of member removed | message M { oneof o { int32 a = 1; string b = 2; } } "
          + "| message M { oneof o { int32 a = 1; } } | false | true",
      "field typed by another message | message M { A f = 1; } message A {} message B {} "
          + "| message M { B f = 1; } message A {} message B {} | false | false",
      "map value kind | message M { map<string, int32> m = 1; } | message M { map<string, string> m = 1; } "
          + "| false | false",
  })
  void eachRuleHasItsAnswerAtEveryLevel(String rule, String before, String after, boolean backward,
      boolean forward) {
    assertLevels(proto(file(before)), proto(file(after)), backward, forward);
  }

  @Test
  void aRenamedPackageBreaksBothWays() {
    ParsedSchema before = proto("syntax = \"proto3\"; package a; message M { int32 x = 1; }");
    ParsedSchema after = proto("syntax = \"proto3\"; package b; message M { int32 x = 1; }");
    assertLevels(before, after, false, false);
    assertThat(Compatibility.BACKWARD.problems(after, List.of(new Versioned(3, "x", before))).get(0))
        .contains("PACKAGE_CHANGED", "'#/'");
  }

  @Test
  void requiredFieldsAddedOrRemovedBreakAndAProto3ChangeThatDropsRequiredBreaksForward() {
    String v1 = "syntax = \"proto2\"; package t; message M { optional int32 a = 1; }";
    String required = "syntax = \"proto2\"; package t; message M { optional int32 a = 1; required int32 b = 2; }";
    assertLevels(proto(v1), proto(required), false, false);
    ParsedSchema proto2 = proto("syntax = \"proto2\"; package t; message M { required int32 a = 1; }");
    ParsedSchema proto3 = proto("syntax = \"proto3\"; package t; message M { int32 a = 1; }");
    assertLevels(proto2, proto3, true, false); // a proto2 reader requires what a proto3 writer may leave out
    ParsedSchema optional2 = proto("syntax = \"proto2\"; package t; message M { optional int32 a = 1; }");
    assertLevels(optional2, proto3, true, true);
  }

  @Test
  void verboseMessagesNameTheRuleAndThePath() {
    List<String> problems = Compatibility.BACKWARD.problems(proto(file("message M { string a = 1; }")),
        List.of(new Versioned(2, "old", proto(file("message M { int32 a = 1; }")))));
    assertThat(problems.get(0)).contains("FIELD_SCALAR_KIND_CHANGED", "#/M/1");
    assertThat(problems).contains("{oldSchemaVersion: 2}", "{compatibility: 'BACKWARD'}");
  }

  @Test
  void importsResolveFromReferencesAndTheirTypesAreComparedField_by_field() {
    String dep1 = "syntax = \"proto3\"; package d; message D { int32 x = 1; }";
    String dep2 = "syntax = \"proto3\"; package d; message D { string x = 1; }";
    Map<Integer, StoredSchema> versions = Map.of(1, stored(1, dep1), 2, stored(2, dep2));
    String main = "syntax = \"proto3\"; package t; import \"d.proto\"; message M { d.D f = 1; }";
    ParsedSchema before = ParsedSchema.parse(ParsedSchema.PROTOBUF, main, List.of(new Reference("d.proto", "d", 1)),
        ref -> versions.get(ref.version()));
    ParsedSchema after = ParsedSchema.parse(ParsedSchema.PROTOBUF, main, List.of(new Reference("d.proto", "d", 2)),
        ref -> versions.get(ref.version()));
    assertLevels(before, after, false, false);
    assertThat(Compatibility.BACKWARD.problems(after, List.of(new Versioned(1, "x", before))).toString())
        .contains("FIELD_NAMED_TYPE_CHANGED");
  }

  static StoredSchema stored(int version, String text) {
    return new StoredSchema("d", version, version, ParsedSchema.PROTOBUF, text, List.of(), false);
  }

  @Test
  void anImportWithoutAReferenceAnUnknownTypeOrBadSyntaxIs42201() {
    for (String bad : List.of("syntax = \"proto3\"; import \"other.proto\"; message M {}",
        "syntax = \"proto3\"; message M { Missing m = 1; }", "syntax = \"proto3\"; message M { int32 a = 1",
        "syntax = \"proto3\"; message M { int32 a = 1; int32 b = 1; }")) {
      assertThatThrownBy(() -> proto(bad)).as(bad).isInstanceOfSatisfying(RegistryException.class,
          e -> assertThat(e.errorCode()).isEqualTo(RegistryException.INVALID_SCHEMA));
    }
    assertThat(proto("syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\";"
        + " message M { google.protobuf.Timestamp at = 1; }").type()).isEqualTo(ParsedSchema.PROTOBUF);
  }

  @Test
  void theSameSchemaIgnoresSpellingAndNormalizedAlsoFieldOrder() {
    ParsedSchema a = proto(file("message M { int32 a = 1; string b = 2; }"));
    ParsedSchema spaced = proto("syntax = \"proto3\";\n\npackage t;\nmessage M {\n  int32 a = 1;\n"
        + "  string b = 2;\n}\n");
    ParsedSchema reordered = proto(file("message M { string b = 2; int32 a = 1; }"));
    assertThat(spaced.canonical()).isEqualTo(a.canonical());
    assertThat(reordered.canonical()).isNotEqualTo(a.canonical());
    assertThat(reordered.normalized()).isEqualTo(a.normalized());
  }
}
