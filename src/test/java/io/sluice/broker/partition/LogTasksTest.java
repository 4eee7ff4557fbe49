package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTasksTest {
  private Vertx vertx;
  private WorkerExecutor pool;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    pool = vertx.createSharedWorkerExecutor("log-tasks-test", 4);
  }

  @AfterEach
  void tearDown() {
    pool.close();
    vertx.close().await();
  }

  @Test
  void aQueuedWriterStartsWhileThePartitionsContextIsBusy() throws Exception {
    // a worker context may block, unlike an event loop: while it is busy, the first writer's completion cannot be
    // handled there, so the second only runs if the queue starts it from the storage thread
    Context context = ((VertxInternal) vertx).createWorkerContext();
    LogTasks tasks = new LogTasks(pool);
    CountDownLatch secondRan = new CountDownLatch(1);
    Promise<Boolean> ranWhileBusy = Promise.promise();
    context.runOnContext(v -> {
      tasks.write(() -> 1);
      tasks.write(() -> {
        secondRan.countDown();
        return 2;
      });
      try {
        ranWhileBusy.complete(secondRan.await(30, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        ranWhileBusy.fail(e);
      }
    });
    assertThat(ranWhileBusy.future().await()).isTrue();
  }

  @Test
  void writersRunOneAtATimeAndCompleteInOrderOnTheContext() {
    Context context = vertx.getOrCreateContext();
    LogTasks tasks = new LogTasks(pool);
    int writers = 3_000;
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
    List<Integer> completed = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger offContext = new AtomicInteger();
    // submitted over many event-loop turns, so submissions meet drains at every stage
    for (int turn = 0; turn < writers / 100; turn++) {
      int first = turn * 100;
      context.runOnContext(v -> {
        for (int i = first; i < first + 100; i++) {
          int n = i;
          tasks.write(() -> {
            if (running.getAndIncrement() != 0) {
              overlaps.incrementAndGet();
            }
            ran.add(n);
            running.decrementAndGet();
            return n;
          }).onComplete(ar -> {
            if (Vertx.currentContext() != context) {
              offContext.incrementAndGet();
            }
            completed.add(ar.result());
          });
        }
      });
    }
    await().atMost(60, TimeUnit.SECONDS).until(() -> completed.size() == writers);
    List<Integer> expected = IntStream.range(0, writers).boxed().toList();
    assertThat(overlaps).hasValue(0);
    assertThat(ran).isEqualTo(expected);
    assertThat(completed).isEqualTo(expected);
    assertThat(offContext).hasValue(0);
  }

  @Test
  void aFailedWriterDoesNotStopTheOnesBehindIt() {
    Context context = vertx.getOrCreateContext();
    LogTasks tasks = new LogTasks(pool);
    List<Future<Integer>> results = new ArrayList<>();
    List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      results.add(tasks.write(() -> {
        ran.add(1);
        return 1;
      }));
      results.add(tasks.write(() -> {
        ran.add(2);
        throw new IOException("disk full");
      }));
      for (int i = 3; i <= 5; i++) {
        int n = i;
        results.add(tasks.write(() -> {
          ran.add(n);
          return n;
        }));
      }
      tasks.writesDone().onComplete(done);
    });
    done.future().await();
    assertThat(ran).containsExactly(1, 2, 3, 4, 5);
    assertThat(results.get(1).failed()).isTrue();
    assertThat(results.get(1).cause()).hasMessage("disk full");
    assertThat(results).element(0).matches(f -> f.succeeded() && f.result() == 1);
    assertThat(results.subList(2, 5)).extracting(Future::result).containsExactly(3, 4, 5);
  }

  @Test
  void writersFailRatherThanWaitWhenTheStorageRefusesThem() {
    Context context = vertx.getOrCreateContext();
    WorkerExecutor closed = vertx.createSharedWorkerExecutor("log-tasks-closed", 1);
    closed.close().await();
    LogTasks tasks = new LogTasks(closed);
    Promise<Future<Integer>> first = Promise.promise();
    Promise<Future<Integer>> second = Promise.promise();
    context.runOnContext(v -> {
      first.complete(tasks.write(() -> 1));
      second.complete(tasks.write(() -> 2));
    });
    for (Future<Integer> write : List.of(first.future().await(), second.future().await())) {
      assertThat(write.transform(ar -> Future.succeededFuture(ar.failed())).await()).isTrue();
    }
  }

  @Test
  void undeployWaitsForQueuedWritersAndNeverInterruptsThem(@TempDir Path dir) throws Exception {
    FileChannel channel = FileChannel.open(dir.resolve("log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    Semaphore firstWriter = new Semaphore(0);
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicInteger interrupted = new AtomicInteger();
    AtomicLong doneWhenStopped = new AtomicLong(-1);
    List<Future<Integer>> writes = Collections.synchronizedList(new ArrayList<>());
    int writers = 50;
    LogTasks tasks = new LogTasks(pool);
    VerticleBase partition = new VerticleBase() {
      @Override
      public Future<?> start() {
        writes.add(tasks.write(() -> {
          firstWriter.acquire();
          return 0;
        }));
        for (int i = 1; i < writers; i++) {
          int n = i;
          writes.add(tasks.write(() -> {
            if (Thread.currentThread().isInterrupted()) {
              interrupted.incrementAndGet();
            }
            channel.write(ByteBuffer.allocate(4).putInt(0, n)); // an interrupt would close the channel
            return n;
          }));
        }
        return Future.succeededFuture();
      }

      @Override
      public Future<?> stop() {
        stopping.set(true);
        return tasks.writesDone()
            .andThen(ar -> doneWhenStopped.set(writes.stream().filter(Future::isComplete).count()));
      }
    };
    String id = vertx.deployVerticle(partition).await();
    Future<Void> undeployed = vertx.undeploy(id);
    await().atMost(30, TimeUnit.SECONDS).untilTrue(stopping);
    firstWriter.release();
    undeployed.await();
    // every writer finished before the partition's stop did
    assertThat(doneWhenStopped).hasValue(writers);
    assertThat(writes).hasSize(writers).allMatch(Future::succeeded);
    assertThat(writes).extracting(Future::result).isEqualTo(IntStream.range(0, writers).boxed().toList());
    assertThat(interrupted).hasValue(0);
    assertThat(channel.isOpen()).isTrue();
    assertThat(channel.size()).isEqualTo(4L * (writers - 1));
    channel.close();
    assertThat(Files.size(dir.resolve("log"))).isEqualTo(4L * (writers - 1));
  }
}
