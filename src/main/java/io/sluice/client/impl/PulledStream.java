package io.sluice.client.impl;

import io.smallrye.mutiny.helpers.Subscriptions;
import io.smallrye.mutiny.operators.AbstractMulti;
import io.smallrye.mutiny.subscription.MultiSubscriber;
import io.vertx.core.Future;
import java.util.Collections;
import java.util.Iterator;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The items of successive pulls (each a future {@link Iterable}, often a fetch's records), handed to one subscriber
 * as it asks for them, in order. A pull starts only when the subscriber wants more than the previous pulls gave, one
 * at a time; an empty pull is simply followed by the next one; a pull that completes with null ends the stream; a
 * failed pull, or an iterator that throws, fails the stream after the items before it. A pull's iterator is asked
 * for its next item only when the subscriber wants one, so {@code next()} may decide then whether the item is handed
 * out at all: null drops it (the group consumer's hand-out decides at emission).
 *
 * <p>This is what {@code Multi.createBy().repeating().uni(..).indefinitely().onItem().transformToIterable(..)} did,
 * written as one emission loop: those operators cost per item a concat-map's inner and outer hand-over and an
 * iterable source's request accounting, which a six-partition read paid six times beside the merge of the streams
 * (JFR on {@code perf consume}: about a third of the client's event-loop samples were Mutiny frames).
 *
 * <p><b>Threading.</b> Items are emitted by one thread at a time (a work-in-progress counter serialises the loop):
 * the thread that completes a pull, or the subscriber's when it asks for more while items are at hand. Pulls are
 * started from that loop; {@link Source#next()} must move to its own context if it needs one.
 */
final class PulledStream<T> extends AbstractMulti<T> {
  /** One subscription's pulls. */
  interface Source<T> {
    /**
     * The next pull, or null as its result to end the stream; called again only after the previous one completed
     * and its items were all taken.
     */
    Future<? extends Iterable<T>> next();
  }

  private final Supplier<Source<T>> sources;
  private final Consumer<? super T> beforeEmit;

  /**
   * @param sources a new source per subscription
   * @param beforeEmit called with each item just before the subscriber gets it (a reader's position moves there)
   */
  PulledStream(Supplier<Source<T>> sources, Consumer<? super T> beforeEmit) {
    this.sources = sources;
    this.beforeEmit = beforeEmit;
  }

  @Override
  public void subscribe(MultiSubscriber<? super T> downstream) {
    Source<T> source;
    try {
      source = sources.get();
    } catch (RuntimeException e) {
      Subscriptions.fail(downstream, e);
      return;
    }
    Emission<T> emission = new Emission<>(source, beforeEmit, downstream);
    downstream.onSubscribe(emission);
  }

  private static final class Emission<T> implements Flow.Subscription {
    private final Source<T> source;
    private final Consumer<? super T> beforeEmit;
    private final MultiSubscriber<? super T> downstream;
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile boolean cancelled;
    /** Set by a completed pull before {@link #pulling} is cleared; taken by the loop. */
    private volatile Iterator<T> ready;
    private volatile Throwable failure;
    private volatile boolean ended;
    private volatile boolean pulling;
    /** The items being handed out; touched only inside the loop. */
    private Iterator<T> current = Collections.emptyIterator();
    private boolean done;

    Emission(Source<T> source, Consumer<? super T> beforeEmit, MultiSubscriber<? super T> downstream) {
      this.source = source;
      this.beforeEmit = beforeEmit;
      this.downstream = downstream;
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        cancelled = true;
        downstream.onFailure(Subscriptions.getInvalidRequestException());
        return;
      }
      Subscriptions.add(requested, n);
      drain();
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    private void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        emit();
        missed = wip.addAndGet(-missed);
      } while (missed != 0);
    }

    /** Hands out as many items as are asked for and at hand; starts a pull when more are asked for than at hand. */
    private void emit() {
      long wanted = requested.get();
      long emitted = 0;
      while (!done && !cancelled && emitted != wanted) {
        T item;
        try {
          if (!current.hasNext()) {
            if (!takeReady()) {
              break;
            }
            continue;
          }
          item = current.next();
        } catch (RuntimeException e) {
          fail(e); // a broken record: the items before it were handed out
          break;
        }
        if (item == null) {
          continue; // dropped at emission
        }
        beforeEmit.accept(item);
        downstream.onItem(item);
        emitted++;
      }
      if (emitted != 0 && wanted != Long.MAX_VALUE) {
        requested.addAndGet(-emitted);
      }
    }

    /**
     * Takes a completed pull's items, or starts the next pull; false when there is nothing to hand out until a
     * pull completes. {@code pulling} is read first: a pull writes {@code ready} before it clears the flag, so a
     * cleared flag means its items are visible.
     */
    private boolean takeReady() {
      if (pulling) {
        return false;
      }
      Throwable t = failure;
      if (t != null) {
        fail(t);
        return false;
      }
      if (ended) {
        done = true;
        if (!cancelled) {
          cancelled = true;
          downstream.onCompletion();
        }
        return false;
      }
      Iterator<T> next = ready;
      if (next != null) {
        ready = null;
        current = next;
        return true;
      }
      pulling = true;
      Future<? extends Iterable<T>> pull;
      try {
        pull = source.next();
      } catch (RuntimeException e) {
        pull = Future.failedFuture(e);
      }
      pull.onComplete(ar -> {
        try {
          if (ar.succeeded()) {
            Iterable<T> items = ar.result();
            if (items == null) {
              ended = true;
            } else {
              ready = items.iterator();
            }
          } else {
            failure = ar.cause();
          }
        } catch (RuntimeException e) {
          failure = e;
        }
        pulling = false;
        drain();
      });
      return false;
    }

    private void fail(Throwable t) {
      done = true;
      if (!cancelled) {
        cancelled = true;
        downstream.onFailure(t);
      }
    }
  }
}
