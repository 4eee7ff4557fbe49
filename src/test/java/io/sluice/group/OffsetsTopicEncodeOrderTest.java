package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.Acks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An instance's record is encoded on the workers, not by the caller, and a small append made after it still reaches
 * the log after it (the later record of a key must win). The one worker is held: counted, not timed.
 */
class OffsetsTopicEncodeOrderTest {
  private final Vertx vertx = Vertx.vertx();
  private final List<Integer> produced = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private BrokerService recording() {
    BrokerService refusing = (BrokerService) Proxy.newProxyInstance(BrokerService.class.getClassLoader(),
        new Class<?>[] {BrokerService.class}, (proxy, method, args) -> {
          throw new UnsupportedOperationException(method.getName());
        });
    return new DelegatingBrokerService(refusing) {
      @Override
      public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
        produced.add(batches.remaining());
        return Future.succeededFuture(new ProduceResult(List.of((long) produced.size()), 0));
      }
    };
  }

  @Test
  void anInstancesRecordIsEncodedOnTheWorkersAndALaterAppendWaitsForIt() throws Exception {
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("offsets-encode-test", 1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    workers.executeBlocking(() -> {
      held.countDown();
      return release.await(30, TimeUnit.SECONDS);
    }, false);
    assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
    OffsetsTopic topic = new OffsetsTopic(recording(), workers);

    Future<Long> instance = topic.appendTo(0, List.of(OffsetsTopic.instanceEntry("g", "i",
        new JsonObject().put("config", new JsonObject()))));
    Future<Long> tombstone = topic.appendTo(0, List.of(OffsetsTopic.groupTombstone("g")));
    assertThat(produced).as("both wait for the held worker").isEmpty();
    Future<Long> later = topic.appendTo(1, List.of(OffsetsTopic.groupTombstone("h")));
    assertThat(later.isComplete()).isFalse();

    release.countDown();
    await().atMost(java.time.Duration.ofSeconds(30)).until(() -> later.isComplete());
    assertThat(instance.result()).isEqualTo(1L);
    assertThat(tombstone.result()).isEqualTo(2L);
    assertThat(later.result()).isEqualTo(3L);
    // Once nothing waits, a small append is handed over at once, by its caller.
    assertThat(topic.appendTo(0, List.of(OffsetsTopic.groupTombstone("k"))).result()).isEqualTo(4L);
  }
}
