package io.sluice.client.impl;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Operations run one at a time in call order: each starts once the one before it completed, whatever its outcome.
 * The group consumer keeps two: polls and seeks (the broker overwrites a position with the end of a poll that returns
 * after a seek), and commits (a commit resent after a lost answer must not land after a later one and move the
 * group's offset back). Confined to the client's context.
 */
final class SerialChain {
  private Future<Void> tail = Future.succeededFuture();

  /** Runs {@code op} after the operations chained before; the next one chained waits for the future it returns. */
  <T> Future<T> then(Supplier<Future<T>> op) {
    Future<T> run = tail.transform(ar -> op.get());
    tail = run.transform(ar -> Future.succeededFuture());
    return run;
  }
}
