package io.sluice.http;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;

/**
 * Where a JSON request body is decoded: a small one on the event loop it arrived on, a large one on the HTTP
 * worker pool. Parsing a produce body and base64-decoding its records costs about its size in work: a 2.7 MB body
 * held an event loop for 600 ms on a loaded machine, stalling every other connection on that loop.
 */
final class BodyDecoding {
  /** Bodies up to this size decode in well under a millisecond, cheaper than the hop to a worker and back. */
  static final int INLINE_MAX_BYTES = 64 * 1024;

  private BodyDecoding() {}

  /** Whether a body of {@code bodyBytes} is decoded on the workers. */
  static boolean onWorkers(int bodyBytes) {
    return bodyBytes > INLINE_MAX_BYTES;
  }

  /** Runs {@code decoder} inline or on {@code workers} by {@code bodyBytes}; its exception fails the future. */
  static <T> Future<T> decode(int bodyBytes, WorkerExecutor workers, Callable<T> decoder) {
    if (onWorkers(bodyBytes)) {
      return workers.executeBlocking(decoder, false);
    }
    try {
      return Future.succeededFuture(decoder.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }
}
