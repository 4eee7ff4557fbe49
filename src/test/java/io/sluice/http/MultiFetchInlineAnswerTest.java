package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Batches;
import io.sluice.api.FetchResult;
import io.sluice.api.TopicPartition;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /fetch} lays out an answer whose batches are all in memory and small (a caught-up reader's tail, which
 * the partition's read copies) on the event loop, without the fetch worker pool's two thread hand-offs; file regions
 * and large answers still go to the pool (disk reads and big copies never run on an event loop).
 */
class MultiFetchInlineAnswerTest {
  private static final byte[] BATCH = "stored batch bytes".getBytes();
  private static final TopicPartition TP = new TopicPartition("t", 0);

  private FetchEndpointFixture endpoint;

  /** Every read answers {@link #BATCH} in memory at once; the endpoint's pool has one thread, to hold it busy. */
  @BeforeEach
  void start() throws Exception {
    endpoint = new FetchEndpointFixture(
        r -> Future.succeededFuture(new FetchResult(r.tp(), r.offset() + 1, 0, r.offset() + 1, Batches.wrap(BATCH))),
        1);
  }

  @AfterEach
  void stop() throws Exception {
    endpoint.close();
  }

  @Test
  void anInMemoryAnswerIsSentWhileTheFetchWorkerIsBusy() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    Future<Object> holder = endpoint.workers.executeBlocking(() -> {
      held.countDown();
      return release.await(30, TimeUnit.SECONDS);
    }, false);
    try {
      assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
      JsonObject body = new JsonObject().put("timeout", 5_000).put("partitions", new JsonArray()
          .add(new JsonObject().put("topic", "t").put("partition", 0).put("offset", 7)));
      HttpResponse<Buffer> r = endpoint.post(body);

      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      List<FetchSection> sections = PartitionSections.parseFetch(ByteBuffer.wrap(r.body().getBytes()));
      assertThat(sections).hasSize(1);
      assertThat(sections.get(0).nextOffset()).isEqualTo(8);
      byte[] got = new byte[sections.get(0).batches().remaining()];
      sections.get(0).batches().get(got);
      assertThat(got).isEqualTo(BATCH);
    } finally {
      release.countDown();
      holder.await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void fileRegionsAndLargeAnswersGoToTheWorkerPool() {
    Future<FetchResult> small = Future.succeededFuture(result(Batches.wrap(BATCH)));
    Future<FetchResult> large = Future.succeededFuture(
        result(Batches.wrap(new byte[MultiFetchEndpoint.INLINE_COPY_MAX_BYTES + 1])));
    Future<FetchResult> file = Future.succeededFuture(
        result(Batches.ofFile(Path.of("segment.log"), (FileChannel) null, 0, 10)));
    Future<FetchResult> failed = Future.failedFuture("unknown partition");
    Future<FetchResult> nothing = Future.succeededFuture(
        result(Batches.ofFile(Path.of("segment.log"), (FileChannel) null, 0, 0)));

    assertThat(MultiFetchEndpoint.inMemoryAndSmall(List.of(small, failed))).isTrue();
    assertThat(MultiFetchEndpoint.inMemoryAndSmall(List.of(small, large))).isFalse();
    assertThat(MultiFetchEndpoint.inMemoryAndSmall(List.of(small, file))).isFalse();
    assertThat(MultiFetchEndpoint.inMemoryAndSmall(List.of(small, nothing))).as("an empty slice copies nothing")
        .isTrue();
  }

  private static FetchResult result(Batches batches) {
    return new FetchResult(TP, 1, 0, 1, batches);
  }
}
