package io.sluice.group;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs the asynchronous changes of one key one after another: each starts once the previous change of its key
 * completed (succeeded or failed), so it sees what that one wrote. Keys are independent. A key is forgotten when its
 * last change completes.
 *
 * <p>Threads: one context only (the group coordinator's); not thread-safe.
 */
final class SerialByKey<K> {
  /** Per key, the tail of its chain of changes. */
  private final Map<K, Future<?>> tails = new HashMap<>();

  /** Runs {@code change} after the changes of {@code key} queued before it; a throw fails the returned future. */
  <T> Future<T> run(K key, Supplier<Future<T>> change) {
    Future<?> before = tails.getOrDefault(key, Future.succeededFuture());
    Future<T> mine = before.transform(ar -> {
      try {
        return change.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    });
    tails.put(key, mine);
    mine.onComplete(ar -> tails.remove(key, mine));
    return mine;
  }
}
