package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.sluice.record.Partitioner;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.api.TopicPartition;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProduceEndpointTest extends HttpApiTestBase {

  private List<Record> storedRecords(String topic, int partition) {
    return broker.stored(new TopicPartition(topic, partition)).stream()
        .flatMap(b -> b.records().stream()).toList();
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void jsonRecordsAreStoredAsTheirJsonText() {
    createTopic("t", 1);
    HttpResponse<Buffer> r = produce("/topics/t", JSON_V2, new JsonArray()
        .add(new JsonObject().put("key", "k").put("value", new JsonObject().put("a", 1)))
        .add(new JsonObject().put("value", 42))
        .add(new JsonObject().putNull("value")));

    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).isEqualTo(MediaTypes.KAFKA_V2_JSON);
    List<Record> stored = storedRecords("t", 0);
    assertThat(new String(stored.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("\"k\"");
    assertThat(new String(stored.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
    assertThat(new String(stored.get(1).value(), StandardCharsets.UTF_8)).isEqualTo("42");
    assertThat(stored.get(1).key()).isNull();
    assertThat(stored.get(2).value()).isNull();
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().putNull("key_schema_id").putNull("value_schema_id")
        .put("offsets", new JsonArray()
            .add(entry(0, 0)).add(entry(0, 1)).add(entry(0, 2))));
  }

  private static JsonObject entry(int partition, long offset) {
    return new JsonObject().put("partition", partition).put("offset", offset).putNull("error_code").putNull("error");
  }

  @Test
  void plainApplicationJsonMeansJsonFormat() {
    createTopic("t", 1);
    assertThat(produce("/topics/t", "application/json; charset=utf-8",
        new JsonArray().add(new JsonObject().put("value", "v"))).statusCode()).isEqualTo(200);
    assertThat(new String(storedRecords("t", 0).get(0).value(), StandardCharsets.UTF_8)).isEqualTo("\"v\"");
  }

  @Test
  void binaryRecordsAreBase64Decoded() {
    createTopic("t", 1);
    byte[] raw = {0, (byte) 0xff, 7};
    HttpResponse<Buffer> r = produce("/topics/t", BINARY_V2, new JsonArray().add(new JsonObject()
        .put("key", b64("key")).put("value", Base64.getEncoder().encodeToString(raw))));
    assertThat(r.statusCode()).isEqualTo(200);
    Record stored = storedRecords("t", 0).get(0);
    assertThat(stored.key()).isEqualTo("key".getBytes(StandardCharsets.UTF_8));
    assertThat(stored.value()).isEqualTo(raw);
  }

  @Test
  void headersAndTimestampsAreKept() {
    createTopic("t", 1);
    long before = System.currentTimeMillis();
    produce("/topics/t", BINARY_V2, new JsonArray()
        .add(new JsonObject().put("value", b64("a")).put("timestamp", 1234L).put("headers", new JsonArray()
            .add(new JsonObject().put("key", "trace").put("value", b64("abc")))
            .add(new JsonObject().put("key", "trace").putNull("value"))))
        .add(new JsonObject().put("value", b64("b"))));
    List<Record> stored = storedRecords("t", 0);
    assertThat(stored.get(0).timestamp()).isEqualTo(1234L);
    assertThat(stored.get(0).headers()).containsExactly(Header.of("trace", "abc"), new Header("trace", null));
    assertThat(stored.get(1).timestamp()).isBetween(before, System.currentTimeMillis());
    assertThat(stored.get(1).headers()).isEmpty();
  }

  @Test
  void keyedRecordsLandOnTheMurmur2Partition() {
    createTopic("t", 5);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 40; i++) {
      records.add(new JsonObject().put("key", b64("key-" + i)).put("value", b64("v" + i)));
    }
    JsonArray offsets = produce("/topics/t", BINARY_V2, records).bodyAsJsonObject().getJsonArray("offsets");

    for (int i = 0; i < 40; i++) {
      int expected = Partitioner.partitionForKey(("key-" + i).getBytes(StandardCharsets.UTF_8), 5);
      JsonObject entry = offsets.getJsonObject(i);
      assertThat(entry.getInteger("partition")).as("record %d", i).isEqualTo(expected);
      Record stored = storedRecords("t", expected).get(entry.getInteger("offset"));
      assertThat(stored.value()).isEqualTo(("v" + i).getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void offsetsComeBackInRequestOrderAcrossPartitionsWithOneBatchPerPartition() {
    createTopic("t", 3);
    produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("partition", 1).put("value", "x")));
    HttpResponse<Buffer> r = produce("/topics/t", JSON_V2, new JsonArray()
        .add(new JsonObject().put("partition", 2).put("value", "a"))
        .add(new JsonObject().put("partition", 1).put("value", "b"))
        .add(new JsonObject().put("partition", 2).put("value", "c"))
        .add(new JsonObject().put("partition", 1).put("value", "d"))
        .add(new JsonObject().put("partition", 0).put("value", "e")));

    assertThat(r.bodyAsJsonObject().getJsonArray("offsets")).isEqualTo(new JsonArray()
        .add(entry(2, 0)).add(entry(1, 1)).add(entry(2, 1)).add(entry(1, 2)).add(entry(0, 0)));
    assertThat(broker.stored(new TopicPartition("t", 1))).hasSize(2);
    assertThat(broker.stored(new TopicPartition("t", 2))).hasSize(1);
    assertThat(broker.stored(new TopicPartition("t", 2)).get(0).compressionType())
        .isEqualTo(io.sluice.record.CompressionType.NONE);
  }

  @Test
  void unkeyedRecordsSpreadOverPartitions() {
    createTopic("t", 3);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 6; i++) {
      records.add(new JsonObject().put("value", i));
    }
    JsonArray offsets = produce("/topics/t", JSON_V2, records).bodyAsJsonObject().getJsonArray("offsets");
    assertThat(offsets.stream().map(o -> ((JsonObject) o).getInteger("partition")).distinct()).hasSize(3);
  }

  @Test
  void partitionPathSendsEveryRecordThere() {
    createTopic("t", 3);
    HttpResponse<Buffer> r = produce("/topics/t/partitions/2", BINARY_V2, new JsonArray()
        .add(new JsonObject().put("key", b64("any")).put("value", b64("a")))
        .add(new JsonObject().put("partition", 2).put("value", b64("b"))));
    assertThat(r.bodyAsJsonObject().getJsonArray("offsets")).isEqualTo(new JsonArray()
        .add(entry(2, 0)).add(entry(2, 1)));
    assertError(produce("/topics/t/partitions/2", BINARY_V2, new JsonArray()
        .add(new JsonObject().put("partition", 1).put("value", b64("b")))), 422, ErrorCode.INVALID_RECORD);
    assertError(produce("/topics/t/partitions/3", BINARY_V2, new JsonArray()
        .add(new JsonObject().put("value", b64("b")))), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(produce("/topics/t/partitions/x", BINARY_V2, new JsonArray()
        .add(new JsonObject().put("value", b64("b")))), 400, ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void aFailingPartitionReportsErrorsOnlyForItsRecords() {
    createTopic("t", 2);
    broker.failProduce(new TopicPartition("t", 1),
        new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "Only 1 in-sync replica of t-1, 2 required"));
    HttpResponse<Buffer> r = produce("/topics/t", JSON_V2, new JsonArray()
        .add(new JsonObject().put("partition", 1).put("value", "a"))
        .add(new JsonObject().put("partition", 0).put("value", "b")));

    assertThat(r.statusCode()).isEqualTo(200);
    JsonArray offsets = r.bodyAsJsonObject().getJsonArray("offsets");
    assertThat(offsets.getJsonObject(0)).isEqualTo(new JsonObject().put("partition", 1).putNull("offset")
        .put("error_code", ErrorCode.NOT_ENOUGH_REPLICAS.code())
        .put("error", "Only 1 in-sync replica of t-1, 2 required"));
    assertThat(offsets.getJsonObject(1)).isEqualTo(entry(0, 0));
  }

  @Test
  void whenNoRecordIsWrittenTheStatusIsTheErrorsAndTheBodyKeepsEveryRecordsDetails() {
    createTopic("t", 2);
    broker.failProduce(new TopicPartition("t", 0),
        new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "Only 1 in-sync replica of t-0, 2 required"));
    broker.failProduce(new TopicPartition("t", 1),
        new SluiceException(ErrorCode.MESSAGE_TOO_LARGE, "Batch is above max.message.bytes"));
    HttpResponse<Buffer> r = produce("/topics/t", JSON_V2, new JsonArray()
        .add(new JsonObject().put("partition", 0).put("value", "a"))
        .add(new JsonObject().put("partition", 1).put("value", "b")));

    assertThat(r.statusCode()).as("the first record's error decides").isEqualTo(503);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getInteger("error_code")).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS.code());
    assertThat(body.getString("message")).isEqualTo("Only 1 in-sync replica of t-0, 2 required");
    assertThat(body.getJsonArray("offsets").getJsonObject(1).getInteger("error_code"))
        .isEqualTo(ErrorCode.MESSAGE_TOO_LARGE.code());

    HttpResponse<Buffer> tooLarge = produce("/topics/t/partitions/1", JSON_V2, new JsonArray()
        .add(new JsonObject().put("value", "b")));
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE.code());
  }

  @Test
  void acksAreParsedAndAcksZeroGivesUnknownOffsets() {
    createTopic("t", 1);
    JsonArray one = new JsonArray().add(new JsonObject().put("value", 1));
    assertThat(produce("/topics/t?acks=1", JSON_V2, one).statusCode()).isEqualTo(200);
    assertThat(produce("/topics/t?acks=all", JSON_V2, one).statusCode()).isEqualTo(200);
    assertThat(produce("/topics/t?acks=0", JSON_V2, one).bodyAsJsonObject()
        .getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(-1L);
    assertError(produce("/topics/t?acks=2", JSON_V2, one), 400, ErrorCode.INVALID_REQUIRED_ACKS);
    assertError(produce("/topics/t?acks=", JSON_V2, one), 400, ErrorCode.INVALID_REQUIRED_ACKS);
  }

  @Test
  void unknownTopicIsAutoCreatedOnlyWhenAllowed() {
    JsonArray one = new JsonArray().add(new JsonObject().put("value", 1));
    assertThat(produce("/topics/fresh", JSON_V2, one).statusCode()).isEqualTo(200);
    assertThat(get("/topics/fresh").statusCode()).isEqualTo(200);
    broker.autoCreate = false;
    assertError(produce("/topics/other", JSON_V2, one), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }

  @Test
  void unsupportedContentTypesAre415() {
    createTopic("t", 1);
    JsonArray one = new JsonArray().add(new JsonObject().put("value", 1));
    assertError(produce("/topics/t", "application/vnd.kafka.avro.v2+json", one), 415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(produce("/topics/t", "text/plain", one), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(await(client.post("/topics/t").sendBuffer(Buffer.buffer("{}"))), 415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(produce("/topics/t/partitions/0", MediaTypes.SLUICE_BATCH, one), 415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  }

  @Test
  void malformedBodiesAre400() {
    createTopic("t", 1);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [ {\"value\": 1} "), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics/t", JSON_V2, "not json"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics/t", JSON_V2, ""), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics/t", JSON_V2, "[]"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics/t", JSON_V2, "{}"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics/t", JSON_V2, "{\"records\": {}}"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics/t", JSON_V2, "{\"records\": []}"), 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(broker.stored(new TopicPartition("t", 0))).isEmpty();
  }

  @Test
  void invalidRecordsAre422AndNothingIsStored() {
    createTopic("t", 1);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [1]}"), 422, ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", BINARY_V2, "{\"records\": [{\"value\": \"%%%\"}]}"), 422, ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", BINARY_V2, "{\"records\": [{\"key\": 12}]}"), 422, ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", BINARY_V2, "{\"records\": [{\"value\": {\"a\": 1}}]}"), 422,
        ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"partition\": -1}]}"), 422, ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"partition\": \"0\"}]}"), 422, ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"headers\": {\"a\": \"b\"}}]}"), 422,
        ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"headers\": [{\"value\": \"YQ==\"}]}]}"), 422,
        ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"headers\": [{\"key\": \"a\", \"value\": \"*\"}]}]}"),
        422, ErrorCode.INVALID_RECORD);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"timestamp\": -1}]}"), 422, ErrorCode.INVALID_TIMESTAMP);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"timestamp\": \"now\"}]}"), 422,
        ErrorCode.INVALID_TIMESTAMP);
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"value\": 1}, {\"partition\": 5}]}"), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertThat(broker.stored(new TopicPartition("t", 0))).isEmpty();
  }

  /** A misspelt field ("header") or one asking for a schema was ignored: the record was written without it. */
  @Test
  void fieldsAProduceWouldIgnoreAreRefusedAndNothingIsStored() {
    createTopic("t", 1);
    var misspelt = post("/topics/t", JSON_V2, "{\"records\": [{\"value\": 1, \"header\": {\"a\": \"b\"}}]}");
    assertError(misspelt, 422, ErrorCode.INVALID_RECORD);
    assertThat(misspelt.bodyAsJsonObject().getString("message")).contains("records[0]", "'header'", "headers");
    assertError(post("/topics/t", JSON_V2, "{\"records\": [{\"value\": 1, \"headers\": [{\"key\": \"a\","
        + " \"val\": \"YQ==\"}]}]}"), 422, ErrorCode.INVALID_RECORD);
    var schema = post("/topics/t", JSON_V2, "{\"value_schema\": \"{\\\"type\\\": \\\"int\\\"}\", \"records\": [{\"value\": 1}]}");
    assertError(schema, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(schema.bodyAsJsonObject().getString("message")).contains("value_schema");
    assertError(post("/topics/t", JSON_V2, "{\"record\": [{\"value\": 1}]}"), 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(broker.stored(new TopicPartition("t", 0))).isEmpty();
    // REST v2 clients send the schema fields as null for schemaless formats.
    assertThat(post("/topics/t", JSON_V2, "{\"value_schema_id\": null, \"records\": [{\"value\": 1}]}")
        .statusCode()).isEqualTo(200);
  }

  @Test
  void storedBatchesAreValidV2Batches() {
    createTopic("t", 1);
    produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", 1)));
    RecordBatch batch = broker.stored(new TopicPartition("t", 0)).get(0);
    batch.ensureValid();
    assertThat(batch.magic()).isEqualTo(RecordBatch.MAGIC);
  }
}
