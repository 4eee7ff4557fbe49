package io.sluice.schema;

import static io.sluice.schema.ProtobufCompatibilityTest.assertLevels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schema.Compatibility.Versioned;
import io.sluice.schema.StoredSchema.Reference;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Confluent's JSON Schema rules, one pair per rule, checked at all seven levels in both directions. */
class JsonSchemaCompatibilityTest {
  static ParsedSchema json(String text) {
    return ParsedSchema.parse(ParsedSchema.JSON, text, List.of(), ref -> null);
  }

  static String object(String properties, String rest) {
    return "{\"type\":\"object\",\"properties\":{" + properties + "}" + rest + "}";
  }

  static final String A = "\"a\":{\"type\":\"string\"}";
  static final String B = "\"b\":{\"type\":\"integer\"}";
  static final String CLOSED = ",\"additionalProperties\":false";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      // rule | before | after | backward | forward
      "type widened | {\"type\":\"integer\"} | {\"type\":\"number\"} | true | false",
      "type widened to a list | {\"type\":\"string\"} | {\"type\":[\"string\",\"null\"]} | true | false",
      "type changed | {\"type\":\"string\"} | {\"type\":\"boolean\"} | false | false",
      "maxLength increased | {\"type\":\"string\",\"maxLength\":5} | {\"type\":\"string\",\"maxLength\":9} | true | false",
      "minimum added | {\"type\":\"number\"} | {\"type\":\"number\",\"minimum\":0} | false | true",
      "pattern changed | {\"type\":\"string\",\"pattern\":\"a\"} | {\"type\":\"string\",\"pattern\":\"b\"} | false | false",
      "multipleOf reduced | {\"type\":\"number\",\"multipleOf\":4} | {\"type\":\"number\",\"multipleOf\":2} | true | false",
      "enum extended | {\"enum\":[\"x\",\"y\"]} | {\"enum\":[\"x\",\"y\",\"z\"]} | true | false",
      "enum changed | {\"enum\":[\"x\",\"y\"]} | {\"enum\":[\"x\",\"z\"]} | false | false",
      "anyOf gains a member | {\"anyOf\":[{\"type\":\"string\"}]} | {\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}"
          + " | true | false",
      "plain becomes a sum holding it | {\"type\":\"string\"} | {\"oneOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}"
          + " | true | false",
      "items narrowed | {\"type\":\"array\",\"items\":{\"type\":\"number\"}} "
          + "| {\"type\":\"array\",\"items\":{\"type\":\"integer\"}} | false | true",
  })
  void eachRuleHasItsAnswerAtEveryLevel(String rule, String before, String after, boolean backward,
      boolean forward) {
    assertLevels(json(before), json(after), backward, forward);
  }

  @Test
  void propertyAddedToAnOpenContentModelBreaksBackwardAndToAClosedOneDoesNot() {
    assertLevels(json(object(A, "")), json(object(A + "," + B, "")), false, true);
    assertLevels(json(object(A, CLOSED)), json(object(A + "," + B, CLOSED)), true, false);
    assertThat(Compatibility.BACKWARD.problems(json(object(A + "," + B, "")),
        List.of(new Versioned(1, "x", json(object(A, ""))))).get(0))
        .contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "#/properties/b");
  }

  @Test
  void propertyRemovedFromAnOpenContentModelIsSafeForReadersAndFromAClosedOneIsNot() {
    assertLevels(json(object(A + "," + B, "")), json(object(A, "")), true, false);
    assertLevels(json(object(A + "," + B, CLOSED)), json(object(A, CLOSED)), false, true);
  }

  @Test
  void aPartiallyOpenContentModelCoversWhatMatchesItsSchema() {
    String partial = ",\"additionalProperties\":{\"type\":\"integer\"}";
    assertLevels(json(object(A + "," + B, partial)), json(object(A, partial)), true, true);
    String strings = ",\"additionalProperties\":{\"type\":\"string\"}";
    assertLevels(json(object(A + "," + B, strings)), json(object(A, strings)), false, false);
  }

  @Test
  void additionalPropertiesOpenedIsSafeAndClosedIsNot() {
    assertLevels(json(object(A, CLOSED)), json(object(A, "")), true, false);
  }

  @Test
  void aRequiredPropertyNeedsADefaultForReaders() {
    String optional = object(A + "," + B, CLOSED);
    assertLevels(json(optional), json(object(A + "," + B, CLOSED + ",\"required\":[\"b\"]")), false, true);
    String withDefault = "\"b\":{\"type\":\"integer\",\"default\":0}";
    assertLevels(json(object(A + "," + withDefault, CLOSED)),
        json(object(A + "," + withDefault, CLOSED + ",\"required\":[\"b\"]")), true, true);
  }

  @Test
  void refsResolveInsideTheDocumentAndIntoReferencedSubjects() {
    String local = "{\"type\":\"object\",\"properties\":{\"p\":{\"$ref\":\"#/definitions/P\"}},"
        + "\"definitions\":{\"P\":{\"type\":\"%s\"}}}";
    assertLevels(json(local.formatted("integer")), json(local.formatted("string")), false, false);
    StoredSchema v1 = new StoredSchema("p", 1, 1, ParsedSchema.JSON, "{\"type\":\"integer\"}", List.of(), false);
    StoredSchema v2 = new StoredSchema("p", 2, 2, ParsedSchema.JSON, "{\"type\":\"number\"}", List.of(), false);
    String main = "{\"type\":\"object\",\"properties\":{\"p\":{\"$ref\":\"p.json\"}}}";
    ParsedSchema before = ParsedSchema.parse(ParsedSchema.JSON, main, List.of(new Reference("p.json", "p", 1)),
        ref -> v1);
    ParsedSchema after = ParsedSchema.parse(ParsedSchema.JSON, main, List.of(new Reference("p.json", "p", 2)),
        ref -> v2);
    assertLevels(before, after, true, false);
  }

  @Test
  void aRecursiveSchemaEnds() {
    String tree = "{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"%s\"},\"kids\":{\"type\":\"array\","
        + "\"items\":{\"$ref\":\"#\"}}}}";
    assertLevels(json(tree.formatted("integer")), json(tree.formatted("number")), true, false);
  }

  @Test
  void anInvalidSchemaIs42201NamingWhatIsWrong() {
    for (String bad : List.of("{\"type\":\"strin\"}", "{\"minLength\":-1}", "{\"properties\":[]}", "[1]",
        "{\"$schema\":\"http://example.com/unknown\"}")) {
      assertThatThrownBy(() -> json(bad)).as(bad).isInstanceOfSatisfying(RegistryException.class,
          e -> assertThat(e.errorCode()).isEqualTo(RegistryException.INVALID_SCHEMA));
    }
    assertThat(json("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\"}").type())
        .isEqualTo(ParsedSchema.JSON);
  }
}
