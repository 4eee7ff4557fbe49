package io.sluice.broker.metadata;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Notices that this process stood still (SIGSTOP, a long GC or a starved machine) for longer than a threshold, and
 * distrusts its ZooKeeper session until a round trip confirms it. A broker resumed after its session expired still
 * believes it leads until its ZooKeeper client learns of the expiry; meanwhile it would answer consumers with a
 * stale high watermark (a zombie read). A zombie needs a pause of at least about two thirds of the session timeout
 * (the client pings every third), so a threshold of half the session catches every one.
 *
 * <p>A 100 ms periodic timer records when it last ran; {@link #trusted()} also checks that time itself, so a request
 * handled right after a resume, before the timer ran again, is already distrusted. Thread-safe.
 */
public final class PauseWatch {
  private static final long TICK_MS = 100;
  private static final long RECONFIRM_MS = 500;
  private final Vertx vertx;
  private final long thresholdNanos;
  private final Supplier<Future<Boolean>> confirmSession;
  private final LongSupplier nanoClock;
  private final AtomicBoolean confirming = new AtomicBoolean();
  private volatile long lastTickNanos;
  private volatile boolean suspect;
  private final long timerId;

  /**
   * Starts watching; {@code confirmSession} answers true when a ZooKeeper round trip shows this broker's session
   * alive (it runs off the event loop).
   */
  public PauseWatch(Vertx vertx, long thresholdMs, Supplier<Future<Boolean>> confirmSession) {
    this(vertx, thresholdMs, confirmSession, System::nanoTime, TICK_MS);
  }

  /** With an injected clock; {@code tickMs} 0 starts no timer (tests call {@link #tick()}). */
  PauseWatch(Vertx vertx, long thresholdMs, Supplier<Future<Boolean>> confirmSession, LongSupplier nanoClock,
      long tickMs) {
    this.vertx = vertx;
    this.thresholdNanos = TimeUnit.MILLISECONDS.toNanos(thresholdMs);
    this.confirmSession = confirmSession;
    this.nanoClock = nanoClock;
    this.lastTickNanos = nanoClock.getAsLong();
    this.timerId = tickMs > 0 ? vertx.setPeriodic(tickMs, id -> tick()) : -1;
  }

  /** False from a detected stall until the session is confirmed. Any thread. */
  public boolean trusted() {
    if (nanoClock.getAsLong() - lastTickNanos > thresholdNanos) {
      suspect();
    }
    return !suspect;
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  void tick() {
    long now = nanoClock.getAsLong();
    if (now - lastTickNanos > thresholdNanos) {
      suspect();
    }
    lastTickNanos = now;
  }

  private void suspect() {
    suspect = true;
    if (!confirming.compareAndSet(false, true)) {
      return;
    }
    confirmSession.get().onComplete(ar -> {
      confirming.set(false);
      if (ar.succeeded() && ar.result()) {
        suspect = false;
      } else {
        // Not again if confirmNow cleared the distrust meanwhile.
        vertx.setTimer(RECONFIRM_MS, id -> {
          if (suspect) {
            suspect();
          }
        });
      }
    });
  }

  /**
   * Asks ZooKeeper now instead of at the next retry (a broker that just rejoined the cluster must not refuse reads
   * as leader for up to half a second): clears the distrust if the session is confirmed. Completes with the answer.
   */
  public Future<Boolean> confirmNow() {
    return confirmSession.get().map(ok -> {
      if (ok) {
        suspect = false;
      }
      return ok;
    });
  }
}
