package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static membership (KIP-345) through the Java client: a consumer closed and started again with its
 * {@code groupInstanceId} gets its partitions back while the other member is never told of a rebalance; a second
 * consumer with the id fences the first; {@code close(LEAVE_GROUP)} and the admin's removal rebalance at once.
 */
class StaticMembershipClientTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;

  /** Counts the listener's calls. */
  private static final class Recorder implements RebalanceListener {
    final List<Set<TopicPartition>> calls = new CopyOnWriteArrayList<>();

    @Override
    public void onPartitionsAssigned(Set<TopicPartition> partitions) {
      calls.add(partitions);
    }

    @Override
    public void onPartitionsRevoked(Set<TopicPartition> partitions) {
      calls.add(partitions);
    }
  }

  private static ConsumerOptions options(String instanceId) {
    // A long session: the bounce below must be within it however loaded the machine is.
    return ConsumerOptions.of("g", List.of("t")).fetchMaxWaitMs(100).sessionTimeoutMs(60_000)
        .enableAutoCommit(false).groupInstanceId(instanceId);
  }

  private record Running(GroupConsumer consumer, AssertSubscriber<ConsumerRecord> records) {
  }

  private static Running running(SluiceClient client, ConsumerOptions options) {
    GroupConsumer c = client.consumer(options);
    AssertSubscriber<ConsumerRecord> records = AssertSubscriber.create(Long.MAX_VALUE);
    c.records().subscribe().withSubscriber(records);
    return new Running(c, records);
  }

  @Test
  void aStaticConsumerRestartedWithinItsSessionGetsItsPartitionsAndTheOtherIsNeverTold() throws Exception {
    try (BrokerWithClient broker = BrokerWithClient.start(dataDir, GUARD, Map.of(),
        o -> o.requestTimeoutMs(10_000))) {
      SluiceClient client = broker.client();
      Admin admin = client.admin();
      admin.createTopic("t", 4, 1, Map.of()).await().atMost(WAIT);
      Recorder la = new Recorder();
      GroupConsumer a = running(client, options(null).rebalanceListener(la)).consumer();
      await("a owns everything").atMost(Duration.ofMinutes(1)).until(() -> a.assignment().size() == 4);
      GroupConsumer b = running(client, options("b-id")).consumer();
      await("a and b share").atMost(Duration.ofMinutes(1))
          .until(() -> a.assignment().size() == 2 && b.assignment().size() == 2);
      await("a stable group").atMost(Duration.ofMinutes(1))
          .until(() -> admin.describeGroup("g").await().atMost(WAIT).state().equals("Stable"));
      GroupDescription before = admin.describeGroup("g").await().atMost(WAIT);
      Set<TopicPartition> aOwned = Set.copyOf(a.assignment());
      Set<TopicPartition> bOwned = Set.copyOf(b.assignment());
      await("a's listener told of the share").atMost(Duration.ofMinutes(1)).until(() -> la.calls.size() >= 2);
      long polls = a.pollRequests();
      await("a to poll on").atMost(Duration.ofMinutes(1)).until(() -> a.pollRequests() >= polls + 2);
      int told = la.calls.size();

      // The bounce: close (a static member stays in the group) and start again with the same id.
      b.close().await().atMost(WAIT);
      Running b2 = running(client, options("b-id"));
      await("the restarted consumer owns b's partitions").atMost(Duration.ofMinutes(1))
          .until(() -> b2.consumer().assignment().equals(bOwned));
      long polls2 = a.pollRequests();
      await("a to poll on").atMost(Duration.ofMinutes(1)).until(() -> a.pollRequests() >= polls2 + 3);
      GroupDescription after = admin.describeGroup("g").await().atMost(WAIT);
      assertThat(after.generation()).isEqualTo(before.generation());
      assertThat(a.assignment()).isEqualTo(aOwned);
      assertThat(la.calls).as("no rebalance callback on the other member").hasSize(told);
      assertThat(after.members()).extracting(GroupDescription.Member::groupInstanceId)
          .containsExactlyInAnyOrder(null, "b-id");

      // A second consumer with the id fences the running one: its stream fails FENCED_INSTANCE_ID.
      Running b3 = running(client, options("b-id"));
      await("the newer consumer owns the partitions").atMost(Duration.ofMinutes(1))
          .until(() -> b3.consumer().assignment().equals(bOwned));
      Throwable failure = b2.records().awaitFailure(WAIT).getFailure();
      assertThat(failure).isInstanceOf(SluiceException.class);
      assertThat(((SluiceException) failure).errorCode()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
      b2.consumer().close().await().atMost(WAIT);
      assertThat(admin.describeGroup("g").await().atMost(WAIT).generation()).isEqualTo(before.generation());
      assertThat(la.calls).hasSize(told);

      // close(LEAVE_GROUP): the group rebalances at once.
      b3.consumer().close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP))
          .await().atMost(WAIT);
      await("a owns everything after the leave").atMost(Duration.ofMinutes(1)).until(() -> a.assignment().size() == 4);
      int afterLeave = admin.describeGroup("g").await().atMost(WAIT).generation();
      assertThat(afterLeave).isGreaterThan(before.generation());

      // A static consumer closed by default stays; the admin's removal rebalances at once.
      GroupConsumer b4 = running(client, options("b-id")).consumer();
      await("a and b4 share").atMost(Duration.ofMinutes(1))
          .until(() -> a.assignment().size() == 2 && b4.assignment().size() == 2);
      b4.close().await().atMost(WAIT);
      int stayed = admin.describeGroup("g").await().atMost(WAIT).generation();
      long polls3 = a.pollRequests();
      await("a to poll on").atMost(Duration.ofMinutes(1)).until(() -> a.pollRequests() >= polls3 + 3);
      assertThat(a.assignment()).hasSize(2);
      admin.removeMembersFromConsumerGroup("g", List.of("b-id")).await().atMost(WAIT);
      await("a owns everything after the removal").atMost(Duration.ofMinutes(1))
          .until(() -> a.assignment().size() == 4);
      assertThat(admin.describeGroup("g").await().atMost(WAIT).generation()).isGreaterThan(stayed);
      a.close().await().atMost(WAIT);
    }
  }
}
