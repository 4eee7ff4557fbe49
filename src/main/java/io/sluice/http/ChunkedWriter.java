package io.sluice.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Writes a response body made of prepared chunks while respecting back-pressure: when the connection's write
 * queue is full it waits for the drain handler instead of buffering everything in memory. Stops quietly if
 * the client goes away. Must be called on the response's context.
 */
final class ChunkedWriter {
  private ChunkedWriter() {
  }

  /** Ends {@code response} with the concatenation of {@code chunks}; completes (never fails) when done. */
  static Future<Void> write(HttpServerResponse response, List<Buffer> chunks) {
    return write(response, new ArrayList<>(chunks), bytes -> { });
  }

  /**
   * {@link #write}, telling {@code written} each chunk's length once the connection has taken it. {@code chunks}
   * must be mutable: each entry is set to null as it is handed over, so whoever else holds the list does not keep
   * the heap of what was written.
   */
  static Future<Void> write(HttpServerResponse response, List<Buffer> chunks, LongConsumer written) {
    Promise<Void> done = Promise.promise();
    if (chunks.size() == 1) {
      response.end(chunks.get(0)).onComplete(ar -> done.tryComplete());
      return done.future();
    }
    response.setChunked(true);
    writeFrom(response, chunks, 0, done, written);
    return done.future();
  }

  private static void writeFrom(HttpServerResponse response, List<Buffer> chunks, int from, Promise<Void> done,
      LongConsumer written) {
    for (int i = from; i < chunks.size(); i++) {
      if (response.closed() || response.ended()) {
        done.tryComplete();
        return;
      }
      if (response.writeQueueFull()) {
        int resumeAt = i;
        // once: a drain handler left set fired again when the queue drained after end(), and wrote on
        response.drainHandler(v -> {
          response.drainHandler(null);
          writeFrom(response, chunks, resumeAt, done, written);
        });
        return;
      }
      Buffer chunk = chunks.set(i, null);
      int length = chunk.length();
      response.write(chunk).onSuccess(v -> written.accept(length));
    }
    response.end().onComplete(ar -> done.tryComplete());
  }
}
