package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Batches;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A one-partition {@code POST /fetch} (every partition reader's poll, and {@code perf e2e}'s) asks its partition
 * once: a read that waits, not a read and then a wait (each a hand-off to the partition's context, on every
 * record's end-to-end path). A failed wait still gets the answer the two steps gave: a read without waiting.
 */
class MultiFetchOnePartitionPollTest {
  private static final byte[] BATCH = io.sluice.record.RecordBatchBuilder.class.getName().getBytes();

  private FetchEndpointFixture endpoint;
  /** Every partition fetch the endpoint asked of the service, in order. */
  private final List<FetchRequest> asked = new CopyOnWriteArrayList<>();
  /** Whether a fetch that waits fails as when the partition's leader moved during the wait. */
  private volatile boolean waitsFail;

  /**
   * A partition at high watermark 5, log start 2: a read that does not wait finds nothing; one that waits has data
   * at once, or fails (NOT_LEADER_OR_FOLLOWER) when {@link #waitsFail}.
   */
  private Future<FetchResult> counting(FetchRequest r) {
    asked.add(r);
    if (r.maxWaitMs() == 0 || r.minBytes() == 0) {
      return Future.succeededFuture(new FetchResult(r.tp(), 5, 2, r.offset(), Batches.of(ByteBuffer.allocate(0))));
    }
    if (waitsFail) {
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "the leader moved"));
    }
    return Future.succeededFuture(new FetchResult(r.tp(), 6, 2, r.offset() + 1, Batches.wrap(BATCH)));
  }

  @BeforeEach
  void start() throws Exception {
    endpoint = new FetchEndpointFixture(this::counting);
  }

  @AfterEach
  void stop() throws Exception {
    endpoint.close();
  }

  @Test
  void aOnePartitionPollAsksItsPartitionOnceWithTheWaitAndMinBytesOne() throws Exception {
    FetchSection s = poll(new JsonObject().put("timeout", 5_000).put("min_bytes", 100));

    assertThat(s.errorCode()).isZero();
    assertThat(s.nextOffset()).isEqualTo(8);
    assertThat(s.batches().remaining()).isEqualTo(BATCH.length);
    assertThat(asked).hasSize(1);
    assertThat(asked.get(0).minBytes()).isEqualTo(1);
    assertThat(asked.get(0).maxWaitMs()).isEqualTo(5_000);
  }

  @Test
  void aPollThatMustNotWaitReadsOnceWithoutWaiting() throws Exception {
    FetchSection s = poll(new JsonObject().put("timeout", 5_000).put("min_bytes", 0));

    assertThat(s.batches().remaining()).isZero();
    assertThat(asked).hasSize(1);
    assertThat(asked.get(0).maxWaitMs() == 0 || asked.get(0).minBytes() == 0).isTrue();
  }

  @Test
  void aWaitThatFailsBecauseTheLeaderMovedIsAnsweredWithAnEmptySectionAsBefore() throws Exception {
    waitsFail = true;

    FetchSection s = poll(new JsonObject().put("timeout", 5_000));

    assertThat(s.errorCode()).as(s.message()).isZero();
    assertThat(s.highWatermark()).isEqualTo(5);
    assertThat(s.logStartOffset()).isEqualTo(2);
    assertThat(s.nextOffset()).isEqualTo(7);
    assertThat(s.batches().remaining()).isZero();
  }

  private FetchSection poll(JsonObject body) throws Exception {
    body.put("partitions", new JsonArray().add(new JsonObject().put("topic", "t").put("partition", 0)
        .put("offset", 7)));
    HttpResponse<Buffer> r = endpoint.post(body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<FetchSection> sections = PartitionSections.parseFetch(ByteBuffer.wrap(r.body().getBytes()));
    assertThat(sections).hasSize(1);
    return sections.get(0);
  }
}
