package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.Batches;
import io.sluice.api.FetchResult;
import io.sluice.errors.ErrorCode;
import io.sluice.record.PartitionSections;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.WorkerExecutorInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A {@code POST /fetch} body over 64 KiB (many partitions: the full parse, not the canonical one) is parsed on the
 * fetch worker pool, not on the event loop. The pool's one thread is held, so the parse is seen waiting in its
 * queue (a count, not a time).
 */
class MultiFetchLargeBodyTest {
  /** About 80 KB of request. */
  private static final int PARTITIONS = 2_000;
  private final CountDownLatch release = new CountDownLatch(1);
  private FetchEndpointFixture endpoint;
  private ThreadPoolExecutor pool;

  @BeforeEach
  void start() throws Exception {
    endpoint = new FetchEndpointFixture(r -> Future.succeededFuture(
        new FetchResult(r.tp(), r.offset() + 1, 0, r.offset() + 1, Batches.wrap(new byte[1]))), 1);
    pool = (ThreadPoolExecutor) ((WorkerExecutorInternal) endpoint.workers).pool().executor();
    CountDownLatch held = new CountDownLatch(1);
    endpoint.workers.executeBlocking(() -> {
      held.countDown();
      return release.await(60, TimeUnit.SECONDS);
    }, false);
    assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    endpoint.close();
  }

  private static JsonObject request() {
    JsonArray partitions = new JsonArray();
    for (int i = 0; i < PARTITIONS; i++) {
      partitions.add(new JsonObject().put("topic", "t").put("partition", i).put("offset", 7));
    }
    return new JsonObject().put("timeout", 0).put("partitions", partitions);
  }

  private Future<HttpResponse<Buffer>> post(Buffer body) {
    return endpoint.postAsync(body);
  }

  private void awaitParseQueued(Future<HttpResponse<Buffer>> answer) {
    await().atMost(Duration.ofSeconds(30)).until(() -> answer.isComplete() || !pool.getQueue().isEmpty());
    assertThat(answer.isComplete()).as("answered without the worker: parsed on the event loop").isFalse();
    assertThat(pool.getQueue()).hasSize(1);
  }

  @Test
  void aLargeBodyIsParsedOnTheWorkers() throws Exception {
    Future<HttpResponse<Buffer>> answer = post(request().toBuffer());
    awaitParseQueued(answer);

    release.countDown();
    HttpResponse<Buffer> r = answer.await(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(PartitionSections.parseFetch(ByteBuffer.wrap(r.body().getBytes()))).hasSize(PARTITIONS);
  }

  @Test
  void aLargeMalformedBodyIsRefusedWithItsParseError() throws Exception {
    Future<HttpResponse<Buffer>> answer = post(Buffer.buffer(request().encode().replace("\"partitions\":",
        "\"partitions\":,")));
    awaitParseQueued(answer);

    release.countDown();
    HttpResponse<Buffer> r = answer.await(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(r.bodyAsJsonObject().getString("message")).contains("Request body");
  }
}
