package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The partition readers' and the group consumer's emission loop: items of successive pulls in order, a pull only
 * when the subscriber wants more than is at hand, drops decided at emission, the end and failures after the items
 * before them. The pulls are promises the test completes, so each step is seen as it happens.
 */
class PulledStreamTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Pulls answered by the test, in the order asked. */
  private static final class Pulls implements PulledStream.Source<Integer> {
    final List<Promise<Iterable<Integer>>> asked = new ArrayList<>();

    @Override
    public synchronized Future<Iterable<Integer>> next() {
      Promise<Iterable<Integer>> p = Promise.promise();
      asked.add(p);
      return p.future();
    }

    synchronized int count() {
      return asked.size();
    }

    void answer(int pull, Integer... items) {
      Promise<Iterable<Integer>> p;
      synchronized (this) {
        p = asked.get(pull);
      }
      p.complete(items == null ? null : Arrays.asList(items));
    }
  }

  @Test
  void handsOutThePullsItemsInOrderAndPullsOnlyWhenMoreIsWantedThanIsAtHand() {
    Pulls pulls = new Pulls();
    List<Integer> seen = new ArrayList<>();
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> pulls, seen::add)
        .subscribe().withSubscriber(AssertSubscriber.create(0));
    assertThat(pulls.count()).isZero(); // no demand, no pull
    sub.request(2);
    assertThat(pulls.count()).isEqualTo(1);
    pulls.answer(0, 1, 2, 3);
    assertThat(sub.getItems()).containsExactly(1, 2);
    assertThat(pulls.count()).isEqualTo(1); // 3 is at hand
    sub.request(1);
    assertThat(sub.getItems()).containsExactly(1, 2, 3);
    assertThat(pulls.count()).isEqualTo(1); // exactly what was asked: nothing more wanted yet
    sub.request(2);
    assertThat(pulls.count()).isEqualTo(2);
    pulls.answer(1); // an empty pull is followed by the next
    assertThat(pulls.count()).isEqualTo(3);
    pulls.answer(2, 4, 5);
    assertThat(sub.getItems()).containsExactly(1, 2, 3, 4, 5);
    assertThat(seen).containsExactly(1, 2, 3, 4, 5); // told of each item as it went out
    sub.assertNotTerminated();
  }

  @Test
  void aNullItemIsDroppedAndTheNextOneTakesItsPlace() {
    Pulls pulls = new Pulls();
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> pulls, i -> { })
        .subscribe().withSubscriber(AssertSubscriber.create(2));
    pulls.answer(0, 1, null, null, 2, 3);
    assertThat(sub.getItems()).containsExactly(1, 2);
    assertThat(pulls.count()).isEqualTo(1);
  }

  @Test
  void theIteratorIsAskedForAnItemOnlyWhenTheSubscriberWantsOne() {
    // The group consumer decides a record's hand-out in next(): it must not run ahead of demand.
    List<Integer> decided = new ArrayList<>();
    Iterator<Integer> deciding = new Iterator<>() {
      private int i;

      @Override
      public boolean hasNext() {
        return i < 5;
      }

      @Override
      public Integer next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        decided.add(i);
        return i++;
      }
    };
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(
        () -> () -> Future.succeededFuture(() -> deciding), i -> { })
        .subscribe().withSubscriber(AssertSubscriber.create(2));
    assertThat(sub.getItems()).containsExactly(0, 1);
    assertThat(decided).containsExactly(0, 1);
    sub.request(1);
    assertThat(decided).containsExactly(0, 1, 2);
  }

  @Test
  void aNullPullEndsTheStreamAfterTheItemsBeforeIt() {
    Pulls pulls = new Pulls();
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> pulls, i -> { })
        .subscribe().withSubscriber(AssertSubscriber.create(10));
    pulls.answer(0, 1, 2);
    pulls.answer(1, (Integer[]) null);
    sub.assertCompleted();
    assertThat(sub.getItems()).containsExactly(1, 2);
    assertThat(pulls.count()).isEqualTo(2);
  }

  @Test
  void aFailedPullFailsTheStreamAfterTheItemsBeforeIt() {
    Pulls pulls = new Pulls();
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> pulls, i -> { })
        .subscribe().withSubscriber(AssertSubscriber.create(10));
    pulls.answer(0, 1);
    pulls.asked.get(1).fail(new IllegalStateException("broken"));
    sub.assertFailedWith(IllegalStateException.class, "broken");
    assertThat(sub.getItems()).containsExactly(1);
  }

  @Test
  void anIteratorThatThrowsFailsTheStreamAfterTheItemsBeforeIt() {
    Iterator<Integer> breaking = new ArrayDeque<>(List.of(1, 2)).iterator();
    Iterable<Integer> items = () -> new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Integer next() {
        if (breaking.hasNext()) {
          return breaking.next();
        }
        throw new IllegalArgumentException("corrupt record");
      }
    };
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> () -> Future.succeededFuture(items), i -> { })
        .subscribe().withSubscriber(AssertSubscriber.create(10));
    sub.assertFailedWith(IllegalArgumentException.class, "corrupt record");
    assertThat(sub.getItems()).containsExactly(1, 2);
  }

  @Test
  void aSourceThatCannotStartFailsTheSubscription() {
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> {
      throw new IllegalStateException("subscribed twice");
    }, i -> { }).subscribe().withSubscriber(AssertSubscriber.create(1));
    sub.assertFailedWith(IllegalStateException.class, "subscribed twice");
  }

  @Test
  void aCancelledSubscriberGetsNothingMore() {
    Pulls pulls = new Pulls();
    AssertSubscriber<Integer> sub = new PulledStream<Integer>(() -> pulls, i -> { })
        .subscribe().withSubscriber(AssertSubscriber.create(10));
    sub.cancel();
    pulls.answer(0, 1, 2);
    assertThat(sub.getItems()).isEmpty();
  }

  @Test
  void demandFromOtherThreadsWhilePullsCompleteLosesAndRepeatsNothing() throws Exception {
    // Items go out on the thread that completes a pull or on the one that asks: one at a time, each once.
    int pullsCount = 200;
    int perPull = 50;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      int[] next = {0};
      PulledStream<Integer> stream = new PulledStream<>(() -> () -> {
        Promise<Iterable<Integer>> p = Promise.promise();
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < perPull; i++) {
          items.add(next[0]++);
        }
        pool.execute(() -> p.complete(items));
        return p.future();
      }, i -> { });
      AssertSubscriber<Integer> sub = stream.subscribe().withSubscriber(AssertSubscriber.create(0));
      CompletableFuture<Void> asking = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < pullsCount * perPull; i++) {
          sub.request(1);
        }
      }, pool);
      asking.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      sub.awaitItems(pullsCount * perPull, WAIT);
      List<Integer> items = sub.getItems();
      for (int i = 0; i < items.size(); i++) {
        assertThat(items.get(i)).isEqualTo(i);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
