package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

class TopicsEndpointTest extends HttpApiTestBase {

  @Test
  void createdTopicsAreListedSortedAndDescribed() {
    HttpResponse<Buffer> created = await(client.post("/topics").sendJsonObject(new JsonObject()
        .put("name", "orders").put("partitions", 2).put("replication_factor", 1)
        .put("configs", new JsonObject().put("retention.ms", 1000).put("cleanup.policy", "delete"))));
    createTopic("audit", 1);

    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.getHeader("Location")).isEqualTo("/topics/orders");
    assertThat(created.getHeader("Content-Type")).isEqualTo(MediaTypes.KAFKA_V2_JSON);
    JsonObject described = get("/topics/orders").bodyAsJsonObject();
    assertThat(described).isEqualTo(created.bodyAsJsonObject());
    assertThat(described.getJsonObject("configs").getMap())
        .containsEntry("retention.ms", "1000").containsEntry("cleanup.policy", "delete");
    assertThat(described.getJsonArray("partitions")).hasSize(2);
    assertThat(described.getJsonArray("partitions").getJsonObject(1)).isEqualTo(new JsonObject()
        .put("partition", 1).put("leader", 1).put("replicas", new JsonArray().add(new JsonObject()
            .put("broker", 1).put("leader", true).put("in_sync", true))));
    assertThat(get("/topics").bodyAsJsonArray()).isEqualTo(new JsonArray().add("audit").add("orders"));
  }

  @Test
  void topicWithoutCountsTakesBrokerDefaults() {
    HttpResponse<Buffer> created = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t")));
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.bodyAsJsonObject().getJsonArray("partitions")).hasSize(broker.defaultPartitions);
  }

  @Test
  void creatingAnExistingTopicIsAConflict() {
    createTopic("t", 1);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t"))), 409,
        ErrorCode.TOPIC_ALREADY_EXISTS);
  }

  @Test
  void invalidTopicCreationsAreBadRequests() {
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "bad name!"))), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("partitions", 1))), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", 7))), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t").put("partitions", 0))),
        400, ErrorCode.INVALID_PARTITIONS);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t").put("partitions", "3"))),
        400, ErrorCode.INVALID_PARTITIONS);
    assertError(await(client.post("/topics").sendJsonObject(
        new JsonObject().put("name", "t").put("replication_factor", -2))), 400, ErrorCode.INVALID_REPLICATION_FACTOR);
    assertError(await(client.post("/topics").sendJsonObject(
        new JsonObject().put("name", "t").put("configs", new JsonArray()))), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t")
        .put("configs", new JsonObject().put("x", new JsonObject())))), 400, ErrorCode.INVALID_REQUEST);
    assertError(post("/topics", "application/json", "{\"name\": "), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics", "application/json", "[1]"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/topics", "application/json", ""), 400, ErrorCode.MALFORMED_REQUEST);
    // A misspelt "configs" created the topic with the defaults, without a word.
    var misspelt = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t")
        .put("config", new JsonObject().put("retention.ms", "5"))));
    assertError(misspelt, 400, ErrorCode.INVALID_REQUEST);
    assertThat(misspelt.bodyAsJsonObject().getString("message")).contains("'config'", "configs");
    assertThat(get("/topics").bodyAsJsonArray()).isEmpty();
  }

  @Test
  void topicRequestsWithANonJsonContentTypeAreUnsupported() {
    assertError(post("/topics", "text/plain", "{\"name\": \"t\"}"), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(post("/topics", "application/x-www-form-urlencoded", "{\"name\": \"t\"}"), 415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertThat(get("/topics").bodyAsJsonArray()).isEmpty();
    assertThat(post("/topics", MediaTypes.KAFKA_V2_JSON, "{\"name\": \"t\"}").statusCode()).isEqualTo(201);
    assertError(post("/topics/t/partitions", "text/plain", "{\"count\": 2}"), 415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  }

  @Test
  void theInternalOffsetsTopicCannotBeCreatedGrownOrDeletedByClients() {
    assertError(post("/topics", "application/json", "{\"name\": \"__consumer_offsets\", \"partitions\": 1}"),
        400, ErrorCode.INVALID_REQUEST);
    assertThat(get("/topics").bodyAsJsonArray()).isEmpty();
    assertError(post("/topics/__consumer_offsets/partitions", "application/json", "{\"count\": 20}"), 400,
        ErrorCode.INVALID_REQUEST);
    assertError(await(client.delete("/topics/__consumer_offsets").send()), 400, ErrorCode.INVALID_REQUEST);
  }

  @Test
  void clientsCannotProduceToTheInternalOffsetsTopic() {
    String records = "{\"records\": [{\"value\": 1}]}";
    assertError(post("/topics/__consumer_offsets", "application/json", records), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertError(post("/topics/__consumer_offsets/partitions/0", "application/json", records), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    java.nio.ByteBuffer batch = batch(1000, "v");
    byte[] bytes = new byte[batch.remaining()];
    batch.get(bytes);
    HttpResponse<Buffer> batches = await(client.post("/topics/__consumer_offsets/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes)));
    assertError(batches, 400, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertThat(get("/topics").bodyAsJsonArray()).as("not auto-created either").isEmpty();
  }

  @Test
  void deletedTopicIsGone() {
    createTopic("t", 1);
    assertThat(await(client.delete("/topics/t").send()).statusCode()).isEqualTo(204);
    assertError(get("/topics/t"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(await(client.delete("/topics/t").send()), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }

  @Test
  void unknownTopicIsNotFound() {
    assertError(get("/topics/nope"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(get("/topics/nope/partitions"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(get("/topics/nope/partitions/0/offsets"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }

  @Test
  void partitionsAreListedAndDescribed() {
    createTopic("t", 3);
    JsonArray partitions = get("/topics/t/partitions").bodyAsJsonArray();
    assertThat(partitions).hasSize(3);
    assertThat(get("/topics/t/partitions/2").bodyAsJsonObject()).isEqualTo(partitions.getJsonObject(2));
    assertError(get("/topics/t/partitions/3"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(get("/topics/t/partitions/-1"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(get("/topics/t/partitions/one"), 400, ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void offsetsFollowTheLogAndTimestampsFindTheFirstRecordAtOrAfter() {
    createTopic("t", 1);
    assertThat(get("/topics/t/partitions/0/offsets").bodyAsJsonObject())
        .isEqualTo(new JsonObject().put("beginning_offset", 0).put("end_offset", 0)
        .put("last_stable_offset", 0));
    JsonArray records = new JsonArray();
    for (int i = 0; i < 5; i++) {
      records.add(new JsonObject().put("value", i).put("timestamp", 1_000L + i * 100));
    }
    assertThat(produce("/topics/t/partitions/0", JSON_V2, records).statusCode()).isEqualTo(200);

    assertThat(get("/topics/t/partitions/0/offsets").bodyAsJsonObject())
        .isEqualTo(new JsonObject().put("beginning_offset", 0).put("end_offset", 5)
        .put("last_stable_offset", 5));
    assertThat(get("/topics/t/partitions/0/offsets?timestamp=1150").bodyAsJsonObject()).isEqualTo(new JsonObject()
        .put("timestamp", 1150).put("offset", 2).put("beginning_offset", 0).put("end_offset", 5)
        .put("last_stable_offset", 5));
    assertThat(get("/topics/t/partitions/0/offsets?timestamp=0").bodyAsJsonObject().getLong("offset")).isZero();
    assertThat(get("/topics/t/partitions/0/offsets?timestamp=9999").bodyAsJsonObject().getValue("offset")).isNull();
    assertError(get("/topics/t/partitions/0/offsets?timestamp=yesterday"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(get("/topics/t/partitions/0/offsets?timestamp=-5"), 400, ErrorCode.MALFORMED_REQUEST);
  }
}
