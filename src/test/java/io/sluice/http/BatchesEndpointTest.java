package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.record.RecordBatches;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The binary batch path, with the broker double answering fetches as bytes; see the slice-mode subclass. */
class BatchesEndpointTest extends HttpApiTestBase {

  private HttpResponse<Buffer> postBatches(String path, ByteBuffer... batches) {
    Buffer body = Buffer.buffer();
    for (ByteBuffer b : batches) {
      byte[] bytes = new byte[b.remaining()];
      b.duplicate().get(bytes);
      body.appendBytes(bytes);
    }
    return await(client.post(path).putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(body));
  }

  private static ByteBuffer richBatch() {
    return new RecordBatchBuilder(CompressionType.NONE)
        .append(1_000, "k1".getBytes(StandardCharsets.UTF_8), "v1".getBytes(StandardCharsets.UTF_8),
            List.of(Header.of("h", "x")))
        .append(1_005, null, null, List.of())
        .build();
  }

  @Test
  void batchesRoundTripByteForByte() {
    createTopic("t", 1);
    produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", "first")));
    HttpResponse<Buffer> posted =
        postBatches("/topics/t/partitions/0/batches", richBatch(), batch(2_000, "a", "b", "c"));

    assertThat(posted.statusCode()).as(posted.bodyAsString()).isEqualTo(200);
    assertThat(posted.bodyAsJsonObject().getJsonArray("offsets")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("partition", 0).put("offset", 1).put("record_count", 2))
        .add(new JsonObject().put("partition", 0).put("offset", 3).put("record_count", 3)));

    HttpResponse<Buffer> fetched = fetch("t", 0, "offset=1", MediaTypes.SLUICE_BATCH);
    assertThat(fetched.statusCode()).isEqualTo(200);
    assertThat(fetched.getHeader("Content-Type")).isEqualTo(MediaTypes.SLUICE_BATCH);
    assertThat(fetched.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo("6");
    assertThat(fetched.getHeader(FetchEndpoint.HIGH_WATERMARK)).isEqualTo("6");
    List<RecordBatch> batches = RecordBatches.split(ByteBuffer.wrap(fetched.body().getBytes()));
    assertThat(batches).hasSize(2);
    batches.forEach(RecordBatch::ensureValid);
    List<Record> records = batches.get(0).records();
    assertThat(records.get(0)).isEqualTo(new Record(1, 1_000, "k1".getBytes(StandardCharsets.UTF_8),
        "v1".getBytes(StandardCharsets.UTF_8), List.of(Header.of("h", "x"))));
    assertThat(records.get(1)).isEqualTo(new Record(2, 1_005, null, null, List.of()));
    assertThat(batches.get(1).records().stream().map(Record::offset)).containsExactly(3L, 4L, 5L);
  }

  @Test
  void batchFetchStartsAtTheBatchHoldingTheOffset() {
    createTopic("t", 1);
    postBatches("/topics/t/partitions/0/batches", batch(0, "a", "b", "c"), batch(0, "d"));
    HttpResponse<Buffer> fetched = fetch("t", 0, "offset=1", MediaTypes.SLUICE_BATCH);
    List<RecordBatch> batches = RecordBatches.split(ByteBuffer.wrap(fetched.body().getBytes()));
    assertThat(batches.get(0).baseOffset()).isZero();
    HttpResponse<Buffer> empty = fetch("t", 0, "offset=4&timeout=0", MediaTypes.SLUICE_BATCH);
    assertThat(empty.body() == null ? 0 : empty.body().length()).isZero();
    assertThat(empty.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo("4");
  }

  @Test
  void recordsWrittenAsBatchesReadBackAsJson() {
    createTopic("t", 1);
    postBatches("/topics/t/partitions/0/batches", richBatch());
    JsonArray records = fetch("t", 0, "offset=0", BINARY_V2).bodyAsJsonArray();
    assertThat(records.getJsonObject(0).getJsonArray("headers").getJsonObject(0).getString("key")).isEqualTo("h");
    assertThat(records.getJsonObject(0).getLong("timestamp")).isEqualTo(1_000L);
    assertThat(records.getJsonObject(1).getValue("value")).isNull();
  }

  @Test
  void acksZeroGivesUnknownOffsets() {
    createTopic("t", 1);
    HttpResponse<Buffer> posted = postBatches("/topics/t/partitions/0/batches?acks=0", batch(0, "a"));
    assertThat(posted.bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(-1L);
    assertError(postBatches("/topics/t/partitions/0/batches?acks=many", batch(0, "a")), 400,
        ErrorCode.INVALID_REQUIRED_ACKS);
  }

  @Test
  void badBatchRequestsAreRejected() {
    createTopic("t", 1);
    ByteBuffer corrupt = batch(0, "a");
    corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 1));
    assertError(postBatches("/topics/t/partitions/0/batches", corrupt), 422, ErrorCode.CORRUPT_MESSAGE);
    ByteBuffer truncated = batch(0, "a").limit(40);
    assertError(postBatches("/topics/t/partitions/0/batches", truncated), 422, ErrorCode.CORRUPT_MESSAGE);
    assertError(postBatches("/topics/t/partitions/0/batches", ByteBuffer.wrap("hello world".getBytes())), 422,
        ErrorCode.CORRUPT_MESSAGE);
    assertError(postBatches("/topics/t/partitions/0/batches"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(postBatches("/topics/t/partitions/1/batches", batch(0, "a")), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(postBatches("/topics/t/partitions/-1/batches", batch(0, "a")), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(await(client.post("/topics/t/partitions/0/batches").putHeader("Content-Type", BINARY_V2)
        .sendBuffer(Buffer.buffer("{}"))), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    assertThat(broker.stored(new io.sluice.api.TopicPartition("t", 0))).isEmpty();
  }
}
