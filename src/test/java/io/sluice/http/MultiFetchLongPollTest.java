package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Batches;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /fetch}'s long poll over a service whose wait is already answered when asked: data that arrived
 * between the first read and the wait. The answer must carry it, not fail (it once failed with a 500 when the
 * first of several partitions had such a wait).
 */
class MultiFetchLongPollTest {
  private static final byte[] BATCH = io.sluice.record.RecordBatchBuilder.class.getName().getBytes();

  private FetchEndpointFixture endpoint;

  /** Every first read (no wait) is empty; a wait on partition 0 has data at once, one on partition 1 never ends. */
  private static Future<FetchResult> arrivedMeanwhile(FetchRequest r) {
    if (r.maxWaitMs() == 0 || r.minBytes() == 0) {
      return Future.succeededFuture(new FetchResult(r.tp(), 0, 0, r.offset(), Batches.of(ByteBuffer.allocate(0))));
    }
    if (r.tp().partition() == 0) {
      return Future.succeededFuture(new FetchResult(r.tp(), 1, 0, r.offset() + 1, Batches.wrap(BATCH)));
    }
    return Promise.<FetchResult>promise().future();
  }

  @BeforeEach
  void start() throws Exception {
    endpoint = new FetchEndpointFixture(MultiFetchLongPollTest::arrivedMeanwhile);
  }

  @AfterEach
  void stop() throws Exception {
    endpoint.close();
  }

  @Test
  void aWaitAnsweredAtOnceIsSentWithTheOtherPartitionsFirstReads() throws Exception {
    JsonObject body = new JsonObject().put("timeout", 5_000).put("partitions", new JsonArray()
        .add(new JsonObject().put("topic", "t").put("partition", 0).put("offset", 7))
        .add(new JsonObject().put("topic", "t").put("partition", 1).put("offset", 3)));
    HttpResponse<Buffer> r = endpoint.post(body);

    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<FetchSection> sections = PartitionSections.parseFetch(ByteBuffer.wrap(r.body().getBytes()));
    assertThat(sections).hasSize(2);
    assertThat(sections.get(0).nextOffset()).isEqualTo(8);
    assertThat(sections.get(0).batches().remaining()).isEqualTo(BATCH.length);
    assertThat(sections.get(1).nextOffset()).isEqualTo(3);
    assertThat(sections.get(1).batches().remaining()).isZero();
  }
}
