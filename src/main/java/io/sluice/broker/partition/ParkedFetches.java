package io.sluice.broker.partition;

import io.sluice.errors.SluiceException;
import io.sluice.storage.ReadResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A partition's long polls: fetches that found fewer than their {@code minBytes} wait here until appended (a
 * follower's fetch, which reads to the log end) or committed (a consumer's, which reads to the high watermark) bytes
 * add up to it, or until their time is up. Either way the fetch is answered with a fresh read. No thread waits and
 * nothing polls: each append or commit credits the parked fetches, and a Vert.x timer ends each wait.
 *
 * <p><b>Threading: confined to the owning {@link PartitionVerticle}'s event-loop context</b>; every method must be
 * called there and every timer fires there.
 */
final class ParkedFetches {
  /** Reads again for a parked fetch (on the storage pool; completes on the verticle's context). */
  @FunctionalInterface
  interface Reader {
    Future<ReadResult> read(long offset, int maxBytes, boolean toLogEnd);
  }

  /**
   * Answers a consumer's fetch from bytes already in memory (those the append that woke it just wrote), or null when
   * they are not the answer a read of the log would give.
   */
  @FunctionalInterface
  interface Memory {
    ReadResult read(long offset, int maxBytes);
  }

  /** A fetch parked until enough bytes arrive or its time is up. */
  private static final class Parked {
    final long offset;
    final int maxBytes;
    final int minBytes;
    /** A follower's fetch: reads up to the log end and is woken by appends, not by the high watermark. */
    final boolean toLogEnd;
    final Promise<ReadResult> promise = Promise.promise();
    /** Set for a bare wait ({@link #awaitAppend}): woken without a read, the caller reads. */
    final Promise<Void> woken;
    long bytesSeen;
    long timerId;

    Parked(long offset, int maxBytes, int minBytes, boolean toLogEnd, long bytesSeen, Promise<Void> woken) {
      this.woken = woken;
      this.offset = offset;
      this.maxBytes = maxBytes;
      this.minBytes = minBytes;
      this.toLogEnd = toLogEnd;
      this.bytesSeen = bytesSeen;
    }
  }

  private final Vertx vertx;
  private final Reader reader;
  private final List<Parked> parked = new ArrayList<>();

  ParkedFetches(Vertx vertx, Reader reader) {
    this.vertx = vertx;
    this.reader = reader;
  }

  /**
   * Parks a fetch that saw {@code bytesSeen} bytes at {@code offset}, for at most {@code waitMs}; completes with the
   * read made when it is woken or its time is up.
   */
  Future<ReadResult> park(long offset, int maxBytes, int minBytes, boolean toLogEnd, long bytesSeen, long waitMs) {
    Parked p = new Parked(offset, maxBytes, minBytes, toLogEnd, bytesSeen, null);
    add(p, waitMs);
    return p.promise.future();
  }

  /**
   * Waits for the next append, at most {@code waitMs}, without reading: a follower caught up to the log end reads
   * once, batches and bytes in one storage task, when woken (one worker hop per fetch instead of three).
   */
  Future<Void> awaitAppend(long waitMs) {
    Parked p = new Parked(-1, Integer.MAX_VALUE, 1, true, 0, Promise.promise());
    add(p, waitMs);
    return p.woken.future();
  }

  /**
   * Waits for the next commit (the high watermark moving), at most {@code waitMs}, without reading: a read_committed
   * fetch reads again itself, since what it may read ends at the last stable offset, not at the high watermark.
   */
  Future<Void> awaitCommit(long waitMs) {
    Parked p = new Parked(-1, Integer.MAX_VALUE, 1, false, 0, Promise.promise());
    add(p, waitMs);
    return p.woken.future();
  }

  private void add(Parked p, long waitMs) {
    p.timerId = vertx.setTimer(waitMs, id -> {
      if (parked.remove(p)) {
        answer(p);
      }
    });
    parked.add(p);
  }

  /** {@code bytes} more were appended ({@code toLogEnd}) or committed: answers the fetches that now have enough. */
  void credit(boolean toLogEnd, long bytes) {
    credit(toLogEnd, bytes, null);
  }

  /**
   * As {@link #credit(boolean, long)}; a consumer's fetch that {@code memory} can answer is answered from it, without
   * another read of the log (a storage task and two more thread hand-offs on the record's way to the consumer).
   */
  void credit(boolean toLogEnd, long bytes, Memory memory) {
    if (parked.isEmpty()) {
      return;
    }
    List<Parked> ready = new ArrayList<>();
    for (Parked p : parked) {
      if (p.toLogEnd == toLogEnd) {
        p.bytesSeen += bytes;
        if (p.bytesSeen >= Math.max(1, Math.min(p.minBytes, p.maxBytes))) {
          ready.add(p);
        }
      }
    }
    parked.removeAll(ready);
    ready.forEach(p -> answer(p, memory));
  }

  /** Fails every parked follower fetch (this replica no longer leads). */
  void failFollowerFetches(Supplier<SluiceException> error) {
    List<Parked> followers = parked.stream().filter(p -> p.toLogEnd).toList();
    parked.removeAll(followers);
    for (Parked p : followers) {
      vertx.cancelTimer(p.timerId);
      (p.woken != null ? p.woken : p.promise).tryFail(error.get());
    }
  }

  /** Answers every parked fetch now with what is there (the partition is closing). */
  void answerAll() {
    List<Parked> all = new ArrayList<>(parked);
    parked.clear();
    all.forEach(this::answer);
  }

  private void answer(Parked p) {
    answer(p, null);
  }

  private void answer(Parked p, Memory memory) {
    vertx.cancelTimer(p.timerId);
    if (p.woken != null) {
      p.woken.tryComplete();
      return;
    }
    ReadResult inMemory = memory == null || p.toLogEnd ? null : memory.read(p.offset, p.maxBytes);
    if (inMemory != null) {
      p.promise.tryComplete(inMemory);
      return;
    }
    reader.read(p.offset, p.maxBytes, p.toLogEnd).onComplete(p.promise);
  }
}
