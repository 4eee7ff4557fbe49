package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The waiting of {@link TopicSync} (broker 1 changed a topic; brokers 2 and 3 are its peers, served on a local event
 * bus by fakes that answer when the test says) and the matching of {@link TopicSyncServer}.
 */
class TopicSyncTest {
  private static final TopicState TOPIC = topic("t", "id-new", 2);

  private final Vertx vertx = Vertx.vertx();
  private final AtomicReference<MetadataSnapshot> snapshot = new AtomicReference<>(live(1, 2, 3));
  /** Per peer, the answer it gives (completed by the test) and the call it got. */
  private final Map<Integer, Promise<Void>> answers = new ConcurrentHashMap<>();
  private final Map<Integer, CompletableFuture<String>> calls = new ConcurrentHashMap<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private TopicSync sync(long timeoutMs) {
    return new TopicSync(vertx, 1, snapshot::get, timeoutMs);
  }

  /** Serves a fake peer {@code id} that records its call and answers with {@link #answers}' promise. */
  private void servePeer(int id) throws Exception {
    Promise<Void> answer = answers.computeIfAbsent(id, k -> Promise.promise());
    CompletableFuture<String> call = calls.computeIfAbsent(id, k -> new CompletableFuture<>());
    BrokerRpc.on(vertx).serve(ClusterAddresses.topicSync(id), TopicSyncServer.Peer.class, new TopicSyncServer.Peer() {
      @Override
      public Future<Void> awaitShown(String topic, String topicId, int partitions, long timeoutMs) {
        call.complete("shown " + topic + " " + topicId + " " + partitions);
        return answer.future();
      }

      @Override
      public Future<Void> awaitGone(String topic, String topicId, int partitions, long timeoutMs) {
        call.complete("gone " + topic + " " + topicId + " " + partitions);
        return answer.future();
      }
    }, Future::succeededFuture).await(10, TimeUnit.SECONDS);
  }

  @Test
  void completesOnceEveryOtherLiveBrokerShowsTheTopic() throws Exception {
    servePeer(2);
    servePeer(3);
    Future<Void> shown = sync(60_000).shown(TOPIC);
    assertThat(calls.get(2).get(10, TimeUnit.SECONDS)).isEqualTo("shown t id-new 2");
    assertThat(calls.get(3).get(10, TimeUnit.SECONDS)).isEqualTo("shown t id-new 2");
    answers.get(2).complete();
    assertThat(shown.isComplete()).as("broker 3 has not answered").isFalse();
    answers.get(3).complete();
    shown.await(10, TimeUnit.SECONDS);
  }

  @Test
  void failsAfterTheBoundNamingTheBrokersThatDidNotAnswer() throws Exception {
    servePeer(2);
    servePeer(3);
    answers.get(2).complete();
    Throwable failed = catchThrowable(() -> sync(200).shown(TOPIC).await(10, TimeUnit.SECONDS));
    assertThat(failed).isInstanceOfSatisfying(SluiceException.class, e -> {
      assertThat(e.errorCode()).isEqualTo(ErrorCode.REQUEST_TIMED_OUT);
      assertThat(e.getMessage()).contains("Topic 't'").contains("broker(s) [3]").contains("200 ms")
          .contains("metadata.propagation.timeout.ms");
    });
  }

  @Test
  void aBrokerThatDiesIsNotWaitedFor() throws Exception {
    servePeer(2);
    servePeer(3);
    TopicSync sync = sync(60_000);
    Future<Void> shown = sync.shown(TOPIC);
    answers.get(2).complete();
    calls.get(3).get(10, TimeUnit.SECONDS);
    sync.onSnapshot(live(1, 2));
    shown.await(10, TimeUnit.SECONDS);
  }

  /** A starting broker is live before it serves: it is asked again until it does. */
  @Test
  void aBrokerWithoutAHandlerYetIsAskedAgain() throws Exception {
    servePeer(2);
    answers.get(2).complete();
    Future<Void> shown = sync(60_000).shown(TOPIC);
    calls.get(2).get(10, TimeUnit.SECONDS);
    answers.computeIfAbsent(3, k -> Promise.promise()).complete();
    servePeer(3);
    shown.await(10, TimeUnit.SECONDS);
    assertThat(calls.get(3)).isCompleted();
  }

  @Test
  void aDeletionWaitsForTheDeletedTopicsIdToGo() throws Exception {
    servePeer(2);
    servePeer(3);
    answers.values().forEach(Promise::complete);
    sync(60_000).gone(TOPIC).await(10, TimeUnit.SECONDS);
    assertThat(calls.get(2).get(10, TimeUnit.SECONDS)).isEqualTo("gone t id-new 2");
  }

  @Test
  void aBrokerAloneWaitsForNobody() {
    snapshot.set(live(1));
    assertThat(sync(60_000).shown(TOPIC).succeeded()).isTrue();
  }

  /** A snapshot that still holds a deleted topic of the same name does not answer for the new one. */
  @Test
  void theServerMatchesTopicsById() {
    MetadataSnapshot old = new MetadataSnapshot(Map.of("t", withStates(topic("t", "id-old", 2))), Map.of());
    assertThat(TopicSyncServer.shows(old, "t", "id-new", 2)).isFalse();
    assertThat(TopicSyncServer.holds(old, "t", "id-new")).isFalse();
    assertThat(TopicSyncServer.holds(old, "t", "id-old")).isTrue();

    MetadataSnapshot halfRead = new MetadataSnapshot(Map.of("t", TOPIC), Map.of());
    assertThat(TopicSyncServer.shows(halfRead, "t", "id-new", 2)).as("partition states not read yet").isFalse();
    assertThat(TopicSyncServer.holds(halfRead, "t", "id-new")).isTrue();

    MetadataSnapshot whole = new MetadataSnapshot(Map.of("t", withStates(TOPIC)), Map.of());
    assertThat(TopicSyncServer.shows(whole, "t", "id-new", 2)).isTrue();
    assertThat(TopicSyncServer.shows(whole, "t", "id-new", 3)).as("grown to 3, not shown yet").isFalse();
  }

  private static TopicState topic(String name, String id, int partitions) {
    Map<Integer, List<Integer>> assignment = new java.util.TreeMap<>();
    for (int p = 0; p < partitions; p++) {
      assignment.put(p, List.of(1 + p % 3));
    }
    return new TopicState(name, id, 1, Map.of(), assignment, Map.of());
  }

  private static TopicState withStates(TopicState t) {
    TopicState out = t;
    for (Map.Entry<Integer, List<Integer>> e : t.assignment().entrySet()) {
      out = out.withState(e.getKey(), PartitionState.initial(e.getValue()));
    }
    return out;
  }

  private static MetadataSnapshot live(Integer... ids) {
    Map<Integer, BrokerRegistration> brokers = Set.of(ids).stream().collect(Collectors.toMap(id -> id,
        id -> new BrokerRegistration(id, "127.0.0.1", 8080 + id, "node-" + id, "dir-" + id)));
    return new MetadataSnapshot(Map.of(), brokers);
  }
}
