package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.PartitionSections;
import io.sluice.record.RecordBatch;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@code POST /batches}: many partitions' batches in one request, each partition appended and answered alone. */
class PartitionBatchesEndpointTest extends HttpApiTestBase {

  /** A section: the header and then the batches back to back. */
  static Buffer section(String topic, int partition, ByteBuffer... batches) {
    Buffer bytes = Buffer.buffer();
    for (ByteBuffer b : batches) {
      byte[] copy = new byte[b.remaining()];
      b.duplicate().get(copy);
      bytes.appendBytes(copy);
    }
    return Buffer.buffer(PartitionSections.produceHeader(topic, partition, bytes.length())).appendBuffer(bytes);
  }

  private HttpResponse<Buffer> post(String query, Buffer... sections) {
    Buffer body = Buffer.buffer();
    for (Buffer s : sections) {
      body.appendBuffer(s);
    }
    return await(client.post(PartitionBatchesEndpoint.PATH + query)
        .putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES).sendBuffer(body));
  }

  @Test
  void batchesOfManyPartitionsAreAppendedAndAnsweredInRequestOrder() {
    createTopic("a", 3);
    createTopic("b", 1);
    HttpResponse<Buffer> r = post("", section("a", 2, batch(0, "x", "y"), batch(0, "z")), section("b", 0,
        batch(0, "q")), section("a", 0, batch(0, "p", "p2", "p3")));

    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("partitions")).isEqualTo(new JsonArray()
        .add(entry("a", 2).put("offsets", new JsonArray().add(offset(0, 2)).add(offset(2, 1))))
        .add(entry("b", 0).put("offsets", new JsonArray().add(offset(0, 1))))
        .add(entry("a", 0).put("offsets", new JsonArray().add(offset(0, 3)))));
    assertThat(broker.stored(new TopicPartition("a", 2))).hasSize(2);
    assertThat(broker.stored(new TopicPartition("a", 0))).extracting(RecordBatch::recordCount).containsExactly(3);
    assertThat(broker.stored(new TopicPartition("b", 0))).hasSize(1);
    assertThat(broker.stored(new TopicPartition("a", 1))).isEmpty();
  }

  @Test
  void onePartitionsRefusalStaysInItsEntryAndTheOthersAreAppended() {
    createTopic("a", 3);
    broker.failProduce(new TopicPartition("a", 1), new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER,
        "Broker 1 is not the leader of a-1"));
    ByteBuffer corrupt = batch(0, "c");
    corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 1));
    HttpResponse<Buffer> r = post("", section("a", 0, batch(0, "ok")), section("a", 1, batch(0, "no")),
        section("a", 2, corrupt), section("a", 7, batch(0, "none")), section("nosuch", 0, batch(0, "none")),
        section("a", -1, batch(0, "neg")), section("a", 2 + 10, new ByteBuffer[0]));

    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonArray partitions = r.bodyAsJsonObject().getJsonArray("partitions");
    assertThat(partitions.getJsonObject(0).getJsonArray("offsets")).isEqualTo(new JsonArray().add(offset(0, 1)));
    assertEntryError(partitions.getJsonObject(1), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assertEntryError(partitions.getJsonObject(2), ErrorCode.CORRUPT_MESSAGE);
    assertEntryError(partitions.getJsonObject(3), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertEntryError(partitions.getJsonObject(4), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertEntryError(partitions.getJsonObject(5), ErrorCode.MALFORMED_REQUEST);
    assertEntryError(partitions.getJsonObject(6), ErrorCode.MALFORMED_REQUEST);
    assertThat(broker.stored(new TopicPartition("a", 0))).hasSize(1);
    assertThat(broker.stored(new TopicPartition("a", 1))).isEmpty();
    assertThat(broker.stored(new TopicPartition("a", 2))).isEmpty();
  }

  @Test
  void aMalformedFramingRefusesTheWholeRequestBeforeAnythingIsWritten() {
    createTopic("a", 2);
    Buffer good = section("a", 0, batch(0, "x"));
    assertError(post("", good, section("a", 0, batch(0, "again"))), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("", good, section("a", 1, batch(0, "cut")).slice(0, 20)), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("", good, Buffer.buffer(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(post(""), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("?acks=2", good), 400, ErrorCode.INVALID_REQUIRED_ACKS);
    assertError(await(client.post(PartitionBatchesEndpoint.PATH).putHeader("Content-Type", MediaTypes.SLUICE_BATCH)
        .sendBuffer(good)), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertThat(broker.stored(new TopicPartition("a", 0))).isEmpty();
    assertThat(broker.stored(new TopicPartition("a", 1))).isEmpty();
  }

  @Test
  void acksZeroAnswersUnknownOffsets() {
    createTopic("a", 1);
    HttpResponse<Buffer> r = post("?acks=0", section("a", 0, batch(0, "x")));
    assertThat(r.bodyAsJsonObject().getJsonArray("partitions").getJsonObject(0).getJsonArray("offsets"))
        .isEqualTo(new JsonArray().add(offset(-1, 1)));
  }

  private static JsonObject entry(String topic, int partition) {
    return new JsonObject().put("topic", topic).put("partition", partition);
  }

  private static JsonObject offset(long offset, int count) {
    return new JsonObject().put("offset", offset).put("record_count", count);
  }

  static void assertEntryError(JsonObject entry, ErrorCode code) {
    assertThat(entry.getInteger("error_code")).as(entry.encode()).isEqualTo(code.code());
    assertThat(entry.getString("message")).isNotBlank().doesNotContain("at io.", "Exception:");
    assertThat(entry.containsKey("offsets")).isFalse();
  }
}
