package io.sluice.http;

import io.sluice.errors.ErrorCode;
import io.sluice.http.ErrorResponses.ApiError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that answers being built and written may hold, across every connection of a listener: the answers' side
 * of {@link BodyMemory}, a pool of its own so a flood of reads cannot refuse produce bodies (nor the other way). Each
 * answer is bounded by {@code http.max.fetch.bytes} of batches, but a JSON answer of them is up to six times larger
 * (a control byte is escaped as {@code \u0001}), and without this bound 60 fetches of 16 MiB took a 512 MB broker's
 * heap (56 OutOfMemoryErrors answered 500, {@code /health} unanswered). An answer reserves at answer time (not while
 * its long poll is parked) what it may hold, takes what is free when that is less, counts as it encodes, gives back
 * what it did not use, and gives the rest back when its response is done or its client is gone. Thread-safe.
 */
final class AnswerMemory {
  /** Below this much room an answer is refused rather than cut to almost nothing. */
  static final long MIN_GRANT = 64 * 1024;

  private final long capacity;
  private final AtomicLong used = new AtomicLong();

  AnswerMemory(long capacity) {
    this.capacity = capacity;
  }

  /** {@code configured}, or for 0 an eighth of the heap, never below one largest slice of batches. */
  static long capacity(long configured, long maxFetchBytes) {
    return configured > 0 ? configured : Math.max(maxFetchBytes, Runtime.getRuntime().maxMemory() / 8);
  }

  /**
   * Reserves {@code wanted} bytes, or what is free when less is (at least {@link #MIN_GRANT} or {@code wanted} if
   * smaller), until {@link Grant#close()}; null when not even that is free.
   */
  Grant reserve(long wanted) {
    long floor = Math.min(wanted, MIN_GRANT);
    while (true) {
      long current = used.get();
      long granted = Math.min(wanted, capacity - current);
      if (granted < floor) {
        return null;
      }
      if (used.compareAndSet(current, current + granted)) {
        return new Grant(granted);
      }
    }
  }

  /** {@link #reserve}, given back when the request's response ends, is reset or its connection closes. */
  Grant reserve(RoutingContext ctx, long wanted) {
    Grant grant = reserve(wanted);
    if (grant != null) {
      ctx.addEndHandler(ar -> grant.close());
    }
    return grant;
  }

  long used() {
    return used.get();
  }

  /** Answers 503 ANSWER_MEMORY_EXHAUSTED (retriable, Retry-After: 1); the connection stays open. */
  void refuse(RoutingContext ctx, long wanted) {
    ApiError error = new ApiError(ErrorCode.ANSWER_MEMORY_EXHAUSTED, "The broker holds " + used.get() + " of its "
        + capacity + " bytes for answers in flight (http.max.inflight.answer.bytes); this answer's " + wanted
        + " do not fit now: retry");
    ctx.response().setStatusCode(error.code().httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, MediaTypes.KAFKA_V2_JSON)
        .putHeader(HttpHeaders.RETRY_AFTER, "1")
        .end(error.toJson().toBuffer());
  }

  /** One answer's share: shrinks to what the answer holds once built, and is given back once. */
  final class Grant implements AutoCloseable {
    private final AtomicLong held;

    private Grant(long bytes) {
      held = new AtomicLong(bytes);
    }

    long bytes() {
      return held.get();
    }

    /** Takes {@code bytes} more from the pool if they are free; whether it did. */
    boolean tryGrow(long bytes) {
      while (true) {
        long current = used.get();
        if (current + bytes > capacity) {
          return false;
        }
        if (used.compareAndSet(current, current + bytes)) {
          held.addAndGet(bytes);
          return true;
        }
      }
    }

    /** Whether it holds {@code total} bytes, taking what it lacks from the pool if that is free. */
    boolean growTo(long total) {
      long lacking = total - held.get();
      return lacking <= 0 || tryGrow(lacking);
    }

    /** Gives back all but {@code bytes} (no-op when it holds no more). */
    void shrinkTo(long bytes) {
      long current;
      do {
        current = held.get();
        if (current <= bytes) {
          return;
        }
      } while (!held.compareAndSet(current, bytes));
      used.addAndGet(bytes - current);
    }

    /** Gives back {@code bytes} of what it holds (what an answer has written), never more than it holds. */
    void release(long bytes) {
      long current;
      do {
        current = held.get();
      } while (!held.compareAndSet(current, Math.max(0, current - bytes)));
      used.addAndGet(Math.max(0, current - bytes) - current);
    }

    @Override
    public void close() {
      used.addAndGet(-held.getAndSet(0));
    }
  }
}
