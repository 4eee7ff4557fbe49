package io.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.sluice.schema.RegistryClient.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The schema registry on one broker: Confluent's API, its compatibility levels with Avro evolutions, its errors. */
class SchemaRegistryTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dir;
  static Broker broker;
  static RegistryClient registry;

  static final String V1 = record("{\"name\":\"a\",\"type\":\"int\"}");
  static final String WITH_DEFAULT = record("{\"name\":\"a\",\"type\":\"int\"},"
      + "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}");
  static final String WITHOUT_DEFAULT = record("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\"}");
  static final String EMPTY = record("");
  static final String PROMOTED = record("{\"name\":\"a\",\"type\":\"long\"}");

  static String record(String fields) {
    return "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[" + fields + "]}";
  }

  @BeforeAll
  static void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.HTTP_INSTANCES, 1)), GUARD, HttpListener::new);
    registry = awaitUp(broker.httpPort());
  }

  /** The broker is ready before its registry: wait until {@code /health} lists it UP. */
  static RegistryClient awaitUp(int port) {
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await("the schema registry to start").atMost(Duration.ofSeconds(60)).until(() -> "UP".equals(
        new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
            HttpResponse.BodyHandlers.ofString()).body()).getJsonObject("services").getString("schema-registry")));
    return new RegistryClient(port);
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void registeringIsIdempotentAndTheSameSchemaHasOneIdAcrossSubjects() throws Exception {
    int id = registry.registeredId("same-value", V1);
    String respelled = "{ \"namespace\": \"t\", \"name\": \"R\", \"type\": \"record\", \"fields\": [{\"type\": \"int\","
        + " \"name\": \"a\"}] }";
    assertThat(registry.registeredId("same-value", respelled)).as("the same schema spelled otherwise").isEqualTo(id);
    assertThat(registry.registeredId("same-other", V1)).as("another subject").isEqualTo(id);
    assertThat(registry.get("/subjects/same-value/versions").value()).isEqualTo(new JsonArray().add(1));

    Reply latest = registry.get("/subjects/same-value/versions/latest");
    assertThat(latest.contentType()).isEqualTo(RegistryEndpoint.MEDIA_TYPE);
    assertThat(latest.json().getInteger("id")).isEqualTo(id);
    assertThat(latest.json().getInteger("version")).isEqualTo(1);
    assertThat(latest.json().containsKey("schemaType")).as("Avro is not named").isFalse();
    assertThat(new JsonObject(registry.get("/subjects/same-value/versions/1/schema").body()))
        .isEqualTo(new JsonObject(V1));
    assertThat(registry.get("/schemas/ids/" + id).json().getString("schema")).isEqualTo(V1);
    assertThat(new JsonObject(registry.get("/schemas/ids/" + id + "/schema").body())).isEqualTo(new JsonObject(V1));
    assertThat(registry.get("/schemas/ids/" + id + "/subjects").value())
        .isEqualTo(new JsonArray().add("same-other").add("same-value"));
    assertThat(registry.get("/schemas/ids/" + id + "/versions").value()).isEqualTo(new JsonArray()
        .add(new JsonObject().put("subject", "same-other").put("version", 1))
        .add(new JsonObject().put("subject", "same-value").put("version", 1)));
    assertThat(registry.get("/subjects?subjectPrefix=same-").value())
        .isEqualTo(new JsonArray().add("same-other").add("same-value"));
    assertThat(registry.get("/schemas/types").value()).isEqualTo(new JsonArray().add("JSON").add("PROTOBUF")
        .add("AVRO"));

    Reply found = registry.send("POST", "/subjects/same-value", new JsonObject().put("schema", respelled));
    assertThat(found.json().getInteger("id")).isEqualTo(id);
    assertThat(found.json().getInteger("version")).isEqualTo(1);
  }

  @Test
  void backwardTakesAnAddedFieldWithADefaultOrAPromotionAndRefusesOneWithout() throws Exception {
    registry.registeredId("backward", V1);
    assertThat(registry.compatible("backward", "/latest", WITH_DEFAULT)).isTrue();
    assertThat(registry.compatible("backward", "/latest", PROMOTED)).as("int to long").isTrue();
    assertThat(registry.compatible("backward", "/latest", EMPTY)).as("a removed field").isTrue();
    assertThat(registry.compatible("backward", "/latest", WITHOUT_DEFAULT)).isFalse();

    Reply refused = registry.register("backward", WITHOUT_DEFAULT);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.errorCode()).isEqualTo(409);
    assertThat(refused.json().getString("message")).contains("incompatible", "READER_FIELD_MISSING_DEFAULT_VALUE");
    Reply verbose = registry.send("POST", "/compatibility/subjects/backward/versions/latest?verbose=true",
        new JsonObject().put("schema", WITHOUT_DEFAULT));
    assertThat(verbose.json().getBoolean("is_compatible")).isFalse();
    assertThat(verbose.json().getJsonArray("messages").encode()).contains("READER_FIELD_MISSING_DEFAULT_VALUE",
        "oldSchemaVersion: 1", "compatibility: 'BACKWARD'");
    assertThat(registry.registeredId("backward", WITH_DEFAULT)).isGreaterThan(0);
    assertThat(registry.get("/subjects/backward/versions").value()).isEqualTo(new JsonArray().add(1).add(2));
  }

  @Test
  void forwardRefusesAPromotionAndARemovedFieldWithoutADefaultAndFullRefusesEither() throws Exception {
    registry.registeredId("forward", V1);
    assertThat(registry.setLevel("forward", "FORWARD").json().getString("compatibility")).isEqualTo("FORWARD");
    assertThat(registry.compatible("forward", "/latest", WITHOUT_DEFAULT)).as("old readers ignore b").isTrue();
    assertThat(registry.compatible("forward", "/latest", PROMOTED)).as("an int reader of longs").isFalse();
    assertThat(registry.compatible("forward", "/latest", EMPTY)).as("a removed field without default").isFalse();

    registry.setLevel("forward", "full");
    assertThat(registry.compatible("forward", "/latest", WITH_DEFAULT)).isTrue();
    assertThat(registry.compatible("forward", "/latest", WITHOUT_DEFAULT)).isFalse();
    assertThat(registry.compatible("forward", "/latest", PROMOTED)).isFalse();

    registry.setLevel("forward", "NONE");
    assertThat(registry.compatible("forward", "/latest", "\"string\"")).isTrue();
  }

  @Test
  void transitiveLevelsCheckEveryVersionAndTheOthersOnlyTheLatest() throws Exception {
    registry.setLevel("transitive", "NONE");
    registry.registeredId("transitive", V1);
    registry.registeredId("transitive", EMPTY);
    String aAsString = record("{\"name\":\"a\",\"type\":\"string\",\"default\":\"\"}");
    for (String level : new String[] {"BACKWARD", "FULL", "FORWARD"}) {
      registry.setLevel("transitive", level);
      assertThat(registry.compatible("transitive", "", aAsString)).as(level).isTrue();
      registry.setLevel("transitive", level + "_TRANSITIVE");
      assertThat(registry.compatible("transitive", "", aAsString)).as(level + "_TRANSITIVE").isFalse();
      assertThat(registry.compatible("transitive", "/latest", aAsString)).as("against the latest only").isTrue();
    }
    Reply refused = registry.register("transitive", aAsString);
    assertThat(refused.status()).as(refused.body()).isEqualTo(409);
    assertThat(refused.json().getString("message")).contains("oldSchemaVersion: 1");
  }

  @Test
  void softThenPermanentDeletesAndTheirErrors() throws Exception {
    int id = registry.registeredId("deleted", V1);
    registry.registeredId("deleted", WITH_DEFAULT);
    assertThat(registry.send("DELETE", "/subjects/deleted/versions/1?permanent=true", null).errorCode())
        .isEqualTo(40407);
    assertThat(registry.send("DELETE", "/subjects/deleted/versions/1", null).value()).isEqualTo(1);
    assertThat(registry.send("DELETE", "/subjects/deleted/versions/1", null).errorCode()).isEqualTo(40406);
    assertThat(registry.get("/subjects/deleted/versions/1").errorCode()).isEqualTo(40402);
    assertThat(registry.get("/subjects/deleted/versions/1?deleted=true").json().getInteger("id")).isEqualTo(id);
    assertThat(registry.get("/schemas/ids/" + id).status()).as("its id still reads").isEqualTo(200);
    assertThat(registry.send("DELETE", "/subjects/deleted?permanent=true", null).errorCode()).isEqualTo(40405);
    assertThat(registry.send("DELETE", "/subjects/deleted", null).value()).isEqualTo(new JsonArray().add(2));
    assertThat(registry.send("DELETE", "/subjects/deleted", null).errorCode()).isEqualTo(40404);
    assertThat(registry.get("/subjects/deleted/versions").errorCode()).isEqualTo(40401);
    assertThat((JsonArray) registry.get("/subjects").value()).doesNotContain("deleted");
    assertThat((JsonArray) registry.get("/subjects?deleted=true").value()).contains("deleted");
    assertThat(registry.send("DELETE", "/subjects/deleted?permanent=true", null).value())
        .isEqualTo(new JsonArray().add(1).add(2));
    assertThat(registry.get("/subjects/deleted/versions?deleted=true").errorCode()).isEqualTo(40401);

    String fresh = record("{\"name\":\"never_before\",\"type\":\"int\"}");
    int newId = registry.registeredId("deleted", fresh);
    assertThat(newId).as("a new schema's id is above every id given").isGreaterThan(id);
  }

  @Test
  void badRequestsAnswerConfluentsErrorCodes() throws Exception {
    assertThat(registry.get("/subjects/nobody/versions").errorCode()).isEqualTo(40401);
    assertThat(registry.get("/subjects/nobody/versions/1").errorCode()).isEqualTo(40401);
    registry.registeredId("errors", V1);
    assertThat(registry.get("/subjects/errors/versions/7").errorCode()).isEqualTo(40402);
    Reply badVersion = registry.get("/subjects/errors/versions/0");
    assertThat(badVersion.status()).isEqualTo(422);
    assertThat(badVersion.errorCode()).isEqualTo(42202);
    assertThat(registry.get("/schemas/ids/987654").errorCode()).isEqualTo(40403);
    assertThat(registry.send("POST", "/subjects/errors", new JsonObject().put("schema", PROMOTED)).errorCode())
        .isEqualTo(40403);
    Reply invalid = registry.register("errors", "{\"type\":\"record\",\"name\":\"R\"}");
    assertThat(invalid.status()).isEqualTo(422);
    assertThat(invalid.errorCode()).isEqualTo(42201);
    assertThat(registry.register("errors", record("{\"name\":\"b\",\"type\":\"int\",\"default\":\"no\"}"))
        .errorCode()).as("a default of the wrong type").isEqualTo(42201);
    assertThat(registry.send("POST", "/subjects/errors/versions", new JsonObject().put("schema", "x")
        .put("schemaType", "XML")).errorCode()).isEqualTo(42201);
    assertThat(registry.setLevel("errors", "SIDEWAYS").errorCode()).isEqualTo(42203);
    assertThat(registry.get("/config/errors").errorCode()).isEqualTo(40408);
    assertThat(registry.get("/config/errors?defaultToGlobal=true").json().getString("compatibilityLevel"))
        .isEqualTo("BACKWARD");
    assertThat(registry.send("PUT", "/mode/errors", new JsonObject().put("mode", "SIDEWAYS")).errorCode())
        .isEqualTo(42204);
  }

  @Test
  void aReadOnlySubjectRefusesChanges() throws Exception {
    registry.registeredId("readonly", V1);
    assertThat(registry.send("PUT", "/mode/readonly", new JsonObject().put("mode", "READONLY")).json()
        .getString("mode")).isEqualTo("READONLY");
    assertThat(registry.get("/mode/readonly").json().getString("mode")).isEqualTo("READONLY");
    assertThat(registry.register("readonly", WITH_DEFAULT).errorCode()).isEqualTo(42205);
    assertThat(registry.send("DELETE", "/subjects/readonly", null).errorCode()).isEqualTo(42205);
    assertThat(registry.get("/mode").json().getString("mode")).isEqualTo("READWRITE");
    registry.send("PUT", "/mode/readonly", new JsonObject().put("mode", "READWRITE"));
    assertThat(registry.register("readonly", WITH_DEFAULT).status()).isEqualTo(200);
  }

  @Test
  void referencesResolveAndKeepTheirTargetFromDeletion() throws Exception {
    String address = "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"t\",\"fields\":"
        + "[{\"name\":\"street\",\"type\":\"string\"}]}";
    registry.registeredId("address", address);
    JsonObject person = new JsonObject().put("schema", "{\"type\":\"record\",\"name\":\"Person\",\"namespace\":\"t\","
        + "\"fields\":[{\"name\":\"home\",\"type\":\"t.Address\"}]}").put("references", new JsonArray()
        .add(new JsonObject().put("name", "t.Address").put("subject", "address").put("version", 1)));
    Reply registered = registry.send("POST", "/subjects/person/versions", person);
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    int id = registered.json().getInteger("id");
    assertThat(registry.get("/subjects/person/versions/1").json().getJsonArray("references")).hasSize(1);
    assertThat(registry.get("/subjects/address/versions/1/referencedby").value()).isEqualTo(new JsonArray().add(id));
    assertThat(registry.send("DELETE", "/subjects/address/versions/1", null).errorCode()).isEqualTo(42206);
    JsonObject dangling = person.copy().put("references", new JsonArray().add(new JsonObject()
        .put("name", "t.Address").put("subject", "nowhere").put("version", 1)));
    assertThat(registry.send("POST", "/subjects/person2/versions", dangling).errorCode()).isEqualTo(42201);
  }

  @Test
  void theGlobalLevelIsBackwardUntilSetAndJsonSchemasRegister() throws Exception {
    assertThat(registry.get("/config").json().getString("compatibilityLevel")).isEqualTo("BACKWARD");
    Reply json = registry.send("POST", "/subjects/json-value/versions", new JsonObject()
        .put("schema", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}").put("schemaType", "JSON"));
    assertThat(json.status()).as(json.body()).isEqualTo(200);
    assertThat(registry.get("/subjects/json-value/versions/1").json().getString("schemaType")).isEqualTo("JSON");
    assertThat(registry.send("POST", "/subjects/json-value/versions", new JsonObject().put("schema", "[1]")
        .put("schemaType", "JSON")).errorCode()).isEqualTo(42201);
  }

  static final String MONEY = "syntax = \"proto3\";\npackage shop;\nmessage Money { int64 cents = 1; string currency = 2; }";

  static String order(String amountType) {
    return "syntax = \"proto3\";\npackage shop;\nimport \"money.proto\";\n"
        + "message Order { string id = 1; " + amountType + " amount = 2; }\nmessage Line { int32 n = 1; }";
  }

  static JsonObject protobuf(String schema, JsonArray references) {
    return new JsonObject().put("schemaType", "PROTOBUF").put("schema", schema).put("references", references);
  }

  /**
   * What Confluent's KafkaProtobufSerializer asks (the imported file registered first under its path, then the
   * schema with a reference to it) and what its deserializer asks for a record framed as Confluent documents it:
   * magic byte 0, the schema id (4 bytes, big-endian), then the message indexes (zig-zag varints; a lone 0 for the
   * first message), then the Protobuf bytes.
   */
  @Test
  void protobufSchemasRegisterWithTheirImportsAndAFramedRecordResolvesToItsMessage() throws Exception {
    // the serializer names a reference's subject after its import path, slashes URL-encoded
    Reply money = registry.send("POST", "/subjects/shop%2Fmoney.proto/versions", protobuf(MONEY, new JsonArray()));
    assertThat(money.status()).as(money.body()).isEqualTo(200);
    assertThat(registry.get("/subjects?subjectPrefix=shop/").value()).isEqualTo(new JsonArray()
        .add("shop/money.proto"));
    JsonArray refs = new JsonArray().add(new JsonObject().put("name", "shop/money.proto")
        .put("subject", "shop/money.proto").put("version", 1));
    String order = order("shop.Money").replace("import \"money.proto\"", "import \"shop/money.proto\"");
    Reply registered = registry.send("POST", "/subjects/orders-value/versions", protobuf(order, refs));
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    int id = registered.json().getInteger("id");
    String respaced = order.replace("; ", ";\n  ");
    assertThat(registry.send("POST", "/subjects/orders-value/versions", protobuf(respaced, refs)).json()
        .getInteger("id")).as("the same schema spelled otherwise").isEqualTo(id);

    byte[] frame = frame(id, new int[] {1}); // the second top-level message: Line
    assertThat(frame(id, new int[] {0})).as("the first message's lone 0").hasSize(6).endsWith(0);
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(frame);
    assertThat(in.get()).as("magic byte").isZero();
    JsonObject bySchemaId = registry.get("/schemas/ids/" + in.getInt()).json();
    assertThat(bySchemaId.getString("schemaType")).isEqualTo("PROTOBUF");
    assertThat(bySchemaId.getJsonArray("references")).isEqualTo(refs);
    int count = zigzag(in);
    assertThat(count).isEqualTo(1);
    int index = zigzag(in);
    ProtobufSchema parsed = (ProtobufSchema) ParsedSchema.parse("PROTOBUF", bySchemaId.getString("schema"),
        StoredSchema.references(refs), ref -> new StoredSchema(ref.subject(), 1, 0, "PROTOBUF", MONEY, List.of(),
            false));
    assertThat(parsed.file().getTypes().get(index).getType().getSimpleName()).isEqualTo("Line");
  }

  /** Confluent's framing of a Protobuf record's header: the message's index path as a count, then each index. */
  static byte[] frame(int id, int[] path) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(id).array());
    int[] varints = new int[path.length + 1];
    varints[0] = path.length;
    System.arraycopy(path, 0, varints, 1, path.length);
    for (int v : path.length == 1 && path[0] == 0 ? new int[] {0} : varints) {
      int z = (v << 1) ^ (v >> 31);
      while ((z & ~0x7f) != 0) {
        out.write((z & 0x7f) | 0x80);
        z >>>= 7;
      }
      out.write(z);
    }
    return out.toByteArray();
  }

  static int zigzag(java.nio.ByteBuffer in) {
    int raw = 0;
    int shift = 0;
    byte b;
    do {
      b = in.get();
      raw |= (b & 0x7f) << shift;
      shift += 7;
    } while (b < 0);
    return (raw >>> 1) ^ -(raw & 1);
  }

  @Test
  void protobufEvolutionIsCheckedAndNormalizeFindsTheSameSchemaInAnotherOrder() throws Exception {
    registry.send("POST", "/subjects/money.proto/versions", protobuf(MONEY, new JsonArray()));
    JsonArray refs = new JsonArray().add(new JsonObject().put("name", "money.proto").put("subject", "money.proto")
        .put("version", 1));
    String v1 = "syntax = \"proto3\";\npackage shop;\nmessage Item { int32 n = 1; string sku = 2; }";
    int id = registry.send("POST", "/subjects/items-value/versions?normalize=true", protobuf(v1, new JsonArray()))
        .json().getInteger("id");
    String reordered = "syntax = \"proto3\";\npackage shop;\nmessage Item { string sku = 2; int32 n = 1; }";
    Reply found = registry.send("POST", "/subjects/items-value?normalize=true", protobuf(reordered, new JsonArray()));
    assertThat(found.json().getInteger("id")).as(found.body()).isEqualTo(id);
    assertThat(registry.send("POST", "/subjects/items-value", protobuf(reordered, new JsonArray())).errorCode())
        .as("without normalize the order counts").isEqualTo(40403);

    String narrowed = "syntax = \"proto3\";\npackage shop;\nmessage Item { string n = 1; string sku = 2; }";
    Reply refused = registry.send("POST", "/subjects/items-value/versions", protobuf(narrowed, new JsonArray()));
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.json().getString("message")).contains("FIELD_SCALAR_KIND_CHANGED", "#/Item/1");
    Reply verbose = registry.send("POST", "/compatibility/subjects/items-value/versions/latest?verbose=true",
        protobuf(narrowed, new JsonArray()));
    assertThat(verbose.json().getBoolean("is_compatible")).isFalse();
    assertThat(registry.send("POST", "/subjects/items-value/versions", protobuf(order("shop.Money"), refs))
        .status()).as("Item removed").isEqualTo(409);
    assertThat(registry.register("items-value", V1).json().getString("message")).contains("SCHEMA_TYPE_CHANGED");
  }

  @Test
  void jsonSchemaEvolutionIsChecked() throws Exception {
    String open = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}";
    String added = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\"}}}";
    JsonObject body = new JsonObject().put("schemaType", "JSON").put("schema", open);
    assertThat(registry.send("POST", "/subjects/json-evolving/versions", body).status()).isEqualTo(200);
    Reply refused = registry.send("POST", "/subjects/json-evolving/versions", body.copy().put("schema", added));
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.json().getString("message")).contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
    registry.setLevel("json-evolving", "FORWARD");
    assertThat(registry.send("POST", "/subjects/json-evolving/versions", body.copy().put("schema", added)).status())
        .isEqualTo(200);
  }
}
