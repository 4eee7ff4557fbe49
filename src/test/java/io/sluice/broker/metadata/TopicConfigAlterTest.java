package io.sluice.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.broker.EmbeddedZooKeeper;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic's configs are rewritten conditionally on the version read: a write by another broker between the read and
 * the write is not overwritten, the change is applied again on top of it, so neither of two alterations is lost.
 */
class TopicConfigAlterTest {
  @TempDir
  Path tmp;
  private EmbeddedZooKeeper zookeeper;
  private CuratorFramework curator;
  private Vertx vertx;
  private WorkerExecutor workers;
  private ZkMetadataStore store;

  @BeforeEach
  void start() throws Exception {
    zookeeper = EmbeddedZooKeeper.start(tmp.resolve("zk"), 0);
    curator = CuratorFrameworkFactory.newClient(zookeeper.connectString(), 4_000, 4_000,
        new ExponentialBackoffRetry(100, 3));
    curator.start();
    assertThat(curator.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
    vertx = Vertx.vertx();
    workers = vertx.createSharedWorkerExecutor("test-zookeeper", 2);
    store = new ZkMetadataStore(vertx, curator, workers, vertx.getOrCreateContext());
    store.start().await(20, TimeUnit.SECONDS);
    store.createTopic(new TopicState("t", "id-1", 1, Map.of("retention.ms", "1000"), Map.of(0, List.of(1)),
        Map.of())).await(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    store.closeAsync().await(20, TimeUnit.SECONDS);
    workers.close();
    vertx.close().await(20, TimeUnit.SECONDS);
    curator.close();
    zookeeper.close();
  }

  /** What another broker's alteration writes: the stored topic with {@code key} set, unconditionally. */
  private void otherBrokerSets(String key, String value) {
    try {
      String path = ZkPaths.topic("t");
      CuratorFramework ns = curator.usingNamespace(ZkPaths.NAMESPACE);
      TopicState stored = TopicState.fromJson("t", ns.getData().forPath(path));
      Map<String, String> configs = new TreeMap<>(stored.configs());
      configs.put(key, value);
      ns.setData().forPath(path, stored.withConfigs(configs).toJson());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anAlterationRacingAnotherIsAppliedOnTopOfItNotOverIt() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    TopicState altered = store.alterTopicConfigs("t", current -> {
      if (calls.getAndIncrement() == 0) {
        otherBrokerSets("segment.bytes", "4096"); // lands between this alteration's read and its write
      }
      Map<String, String> next = new TreeMap<>(current);
      next.put("retention.bytes", "5000");
      return next;
    }).await(20, TimeUnit.SECONDS);

    assertThat(calls.get()).as("applied again after the conflict").isEqualTo(2);
    assertThat(altered.configs()).containsExactlyInAnyOrderEntriesOf(Map.of("retention.ms", "1000",
        "segment.bytes", "4096", "retention.bytes", "5000"));
    TopicState stored = TopicState.fromJson("t", curator.usingNamespace(ZkPaths.NAMESPACE).getData()
        .forPath(ZkPaths.topic("t")));
    assertThat(stored.configs()).isEqualTo(altered.configs());
    assertThat(stored.topicId()).isEqualTo("id-1");
    assertThat(stored.assignment()).isEqualTo(Map.of(0, List.of(1)));
  }

  @Test
  void endlessRacesEndInARetriableConflictAndAnUnknownTopicIsNamed() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Throwable raced = catchThrowable(() -> store.alterTopicConfigs("t", current -> {
      otherBrokerSets("segment.bytes", Integer.toString(4096 + calls.incrementAndGet()));
      return current;
    }).await(20, TimeUnit.SECONDS));
    assertThat(raced).isInstanceOfSatisfying(SluiceException.class, e -> {
      assertThat(e.errorCode()).isEqualTo(ErrorCode.TOPIC_CONFIG_CONFLICT);
      assertThat(e.errorCode().retriable()).isTrue();
    });
    assertThat(calls.get()).isEqualTo(ZkMetadataStore.CONFIG_ATTEMPTS);

    Throwable unknown = catchThrowable(() -> store.alterTopicConfigs("nope", c -> c).await(20, TimeUnit.SECONDS));
    assertThat(unknown).isInstanceOfSatisfying(SluiceException.class,
        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)).hasMessageContaining("nope");
  }
}
