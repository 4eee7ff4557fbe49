package io.sluice.broker.partition;

import io.sluice.errors.OutOfOrderSequenceException;
import io.sluice.storage.AppendResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * A partition's appends refused because they arrived ahead of their producer's sequence, held briefly in case the
 * batch they follow is still on its way.
 *
 * <p><b>Why.</b> A producer keeps several requests of a partition in flight on several HTTP connections, which the
 * broker's event loops handle in parallel: the second request may reach the log before the first. Refused, it costs
 * the producer a round trip and a resend (about one batch in ten under load, docs/benchmarks.md issue 16). Held, it
 * is written right after the first, as if the two had arrived in order.
 *
 * <p><b>Guarantees are the log's.</b> A held request is only ever tried again through the same append, with the same
 * sequence and duplicate checks: after every append that succeeds here, every held request is tried once more, in
 * the order they were held; one still ahead is held again until its own deadline, anything else (written, a
 * duplicate answered with its original offsets, another refusal) answers it. At its deadline it is refused as it
 * would have been at once. Nothing is acknowledged before it is written.
 *
 * <p><b>Bounded</b>: at most {@value #CAPACITY} requests per partition, each at most {@code producer.reorder.hold.ms} (default {@value #DEFAULT_HOLD_MS} ms); beyond the
 * capacity a request ahead is refused at once. A real gap (the earlier batch failed) thus delays its refusal by at
 * most the hold; the producer is then waiting for its in-flight requests anyway before it resends.
 *
 * <p><b>Threading:</b> confined to the owning {@link PartitionVerticle}'s context.
 */
final class HeldAppends {
  static final int CAPACITY = 16;
  static final long DEFAULT_HOLD_MS = 500;

  /** One held request: how to try it again (given its deadline), why it was refused, and its answer. */
  private static final class Held {
    final LongFunction<Future<AppendResult>> retry;
    final OutOfOrderSequenceException refusal;
    final long deadlineMs;
    final Promise<AppendResult> answer = Promise.promise();
    long timer = -1;

    Held(LongFunction<Future<AppendResult>> retry, OutOfOrderSequenceException refusal, long deadlineMs) {
      this.retry = retry;
      this.refusal = refusal;
      this.deadlineMs = deadlineMs;
    }
  }

  private final Vertx vertx;
  private final long holdMs;
  private final List<Held> held = new ArrayList<>();

  HeldAppends(Vertx vertx, long holdMs) {
    this.vertx = vertx;
    this.holdMs = holdMs;
  }

  /** The deadline of a request refused for the first time now. */
  long deadlineFromNow() {
    return System.currentTimeMillis() + holdMs;
  }

  /**
   * Holds a request refused as ahead of its sequence until the next append here or {@code deadlineMs}, whichever
   * comes first; {@code retry} appends it again and is given the deadline, for a further hold. Refuses it at once
   * when the deadline has passed or the partition holds {@value #CAPACITY} requests.
   */
  Future<AppendResult> hold(LongFunction<Future<AppendResult>> retry, OutOfOrderSequenceException refusal,
      long deadlineMs) {
    long left = deadlineMs - System.currentTimeMillis();
    if (left <= 0 || held.size() >= CAPACITY) {
      return Future.failedFuture(refusal);
    }
    Held h = new Held(retry, refusal, deadlineMs);
    h.timer = vertx.setTimer(left, id -> {
      if (held.remove(h)) {
        h.answer.fail(h.refusal);
      }
    });
    held.add(h);
    return h.answer.future();
  }

  /** An append succeeded here: tries every held request again, in the order they were held. */
  void retryAll() {
    if (held.isEmpty()) {
      return;
    }
    List<Held> now = new ArrayList<>(held);
    held.clear();
    for (Held h : now) {
      vertx.cancelTimer(h.timer);
      h.retry.apply(h.deadlineMs).onComplete(h.answer);
    }
  }

  /** Answers every held request with {@code failure} (the partition stops leading or closes). */
  void failAll(Supplier<? extends Throwable> failure) {
    List<Held> now = new ArrayList<>(held);
    held.clear();
    for (Held h : now) {
      vertx.cancelTimer(h.timer);
      h.answer.fail(failure.get());
    }
  }

  /** How many requests are held (for tests). */
  int size() {
    return held.size();
  }
}
