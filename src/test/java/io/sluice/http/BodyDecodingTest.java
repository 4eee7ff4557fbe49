package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Large bodies decode on the HTTP worker pool, small ones where they arrived; a decoder's error fails the future. */
class BodyDecodingTest {
  private Vertx vertx;
  private WorkerExecutor workers;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    workers = vertx.createSharedWorkerExecutor(HttpServerVerticle.FETCH_POOL_NAME, 2);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aLargeBodyIsDecodedOnTheWorkerPoolNotTheEventLoop() throws Exception {
    String thread = onEventLoop(() -> BodyDecoding.decode(BodyDecoding.INLINE_MAX_BYTES + 1, workers,
        () -> Thread.currentThread().getName()));
    assertThat(thread).startsWith(HttpServerVerticle.FETCH_POOL_NAME);
  }

  @Test
  void aSmallBodyIsDecodedWhereItArrived() throws Exception {
    String thread = onEventLoop(() -> BodyDecoding.decode(BodyDecoding.INLINE_MAX_BYTES, workers,
        () -> Thread.currentThread().getName()));
    assertThat(thread).startsWith("vert.x-eventloop-thread");
  }

  @Test
  void aDecoderErrorFailsTheFutureInlineAndOnTheWorker() throws Exception {
    for (int size : new int[] {10, BodyDecoding.INLINE_MAX_BYTES + 1}) {
      Future<String> decoded = BodyDecoding.decode(size, workers, () -> {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "bad body");
      });
      Throwable cause = decoded.toCompletionStage().toCompletableFuture()
          .handle((v, t) -> t).get(10, TimeUnit.SECONDS);
      assertThat(cause).isInstanceOf(SluiceException.class).hasMessageContaining("bad body");
    }
  }

  private String onEventLoop(java.util.function.Supplier<Future<String>> call) throws Exception {
    CompletableFuture<String> out = new CompletableFuture<>();
    vertx.runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        out.complete(ar.result());
      } else {
        out.completeExceptionally(ar.cause());
      }
    }));
    return out.get(10, TimeUnit.SECONDS);
  }
}
