package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The group consumer and the group admin calls against a real in-process broker with the HTTP front end. */
class GroupConsumerAgainstBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;
  private Producer producer;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(), options -> options.requestTimeoutMs(10_000));
    client = broker.client();
    producer = client.producer(ProducerOptions.defaults().lingerMs(0));
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  /** Sends one record per request (each its own batch), so a small poll holds a few records, not all. */
  private void produce(String topic, int partition, int count, long timestampMs) {
    for (int i = 0; i < count; i++) {
      byte[] value = (partition + ":" + i).getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord(topic, partition, timestampMs + i, null, value, List.of()))
          .await().atMost(WAIT);
    }
  }

  private ConsumerOptions options(String group, String topic) {
    return ConsumerOptions.of(group, List.of(topic)).fetchMaxWaitMs(200).sessionTimeoutMs(6_000)
        .enableAutoCommit(false);
  }

  private static Set<TopicPartition> partitions(String topic, int count) {
    Set<TopicPartition> all = new HashSet<>();
    for (int p = 0; p < count; p++) {
      all.add(new TopicPartition(topic, p));
    }
    return all;
  }

  @Test
  void twoConsumersShareTheGroupsPartitionsAndTheSurvivorTakesAllWhenOneCloses() {
    client.admin().createTopic("shared", 4, 1, Map.of()).await().atMost(WAIT);
    Set<TopicPartition> all = partitions("shared", 4);
    RecordingRebalanceListener la = new RecordingRebalanceListener();
    RecordingRebalanceListener lb = new RecordingRebalanceListener();
    GroupConsumer a = client.consumer(options("g-share", "shared").rebalanceListener(la));
    GroupConsumer b = client.consumer(options("g-share", "shared").rebalanceListener(lb));
    a.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("the only member owns everything").atMost(Duration.ofMinutes(1)).until(() -> a.assignment().equals(all));
    b.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("both members own a share").atMost(Duration.ofMinutes(1))
        .until(() -> !a.assignment().isEmpty() && !b.assignment().isEmpty()
        && a.assignment().size() + b.assignment().size() == 4);
    Set<TopicPartition> union = new HashSet<>(a.assignment());
    union.addAll(b.assignment());
    assertThat(union).isEqualTo(all);
    // The listeners run on the client's context just after the assignment is set, so the test may see it first.
    await("the listeners to be told").atMost(Duration.ofMinutes(1))
        .until(() -> !la.revoked.isEmpty() && !lb.assigned.isEmpty());

    a.close().await().atMost(WAIT);
    await("the survivor owns everything").atMost(Duration.ofMinutes(1)).until(() -> b.assignment().equals(all));
    assertThat(la.revoked.get(la.revoked.size() - 1)).isNotEmpty();
    await("the survivor's listener to be told of every partition").atMost(Duration.ofMinutes(1))
        .until(() -> {
      Set<TopicPartition> assignedToB = new HashSet<>();
      lb.assigned.forEach(assignedToB::addAll);
      return assignedToB.equals(all);
    });
  }

  @Test
  void everyOffsetIsDeliveredOnceAcrossCloseAndReopenWithCommits() {
    client.admin().createTopic("once", 2, 1, Map.of()).await().atMost(WAIT);
    produce("once", 0, 40, 1_000);
    produce("once", 1, 40, 1_000);
    List<String> seen = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      GroupConsumer c = client.consumer(options("g-once", "once").fetchMaxBytes(300));
      List<ConsumerRecord> got = c.records().select().first(20).collect().asList().await().atMost(WAIT);
      got.forEach(r -> seen.add(r.partition() + "@" + r.offset()));
      c.commit().await().atMost(WAIT);
      c.close().await().atMost(WAIT);
    }
    assertThat(seen).doesNotHaveDuplicates().hasSize(80);
    List<PartitionLag> lags = client.admin().groupLags("g-once").await().atMost(WAIT);
    assertThat(lags).extracting(PartitionLag::lag).containsOnly(0L);
  }

  @Test
  void anExplicitCommitKeepsItsMetadataAndOneBeforeTheMemberJoinedFailsInsteadOfVanishing() {
    client.admin().createTopic("meta", 2, 1, Map.of()).await().atMost(WAIT);
    produce("meta", 0, 10, 1_000);
    TopicPartition p0 = new TopicPartition("meta", 0);
    TopicPartition p1 = new TopicPartition("meta", 1);
    GroupConsumer c = client.consumer(options("g-meta", "meta"));
    // Before records() there is no member to commit: this was answered done and committed nothing.
    assertThatThrownBy(() -> c.commit(Map.of(p0, 4L)).await().atMost(WAIT))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("subscribe to records() first");
    assertThat(c.committed(Set.of(p0, p1)).await().atMost(WAIT)).isEmpty();

    List<ConsumerRecord> first = c.records().select().first(2).collect().asList().await().atMost(WAIT);
    assertThat(first).extracting(ConsumerRecord::offset).containsExactly(0L, 1L);
    c.commitWithMetadata(Map.of(p0, new OffsetCommit(4, "checkpoint 7 of job \u00e9t\u00e9"))).await().atMost(WAIT);
    assertThat(c.committed(Set.of(p0, p1)).await().atMost(WAIT))
        .containsExactly(Map.entry(p0, new OffsetCommit(4, "checkpoint 7 of job \u00e9t\u00e9")));
    assertThat(committed("g-meta")).isEqualTo(5L);

    assertThatThrownBy(() -> c.commitWithMetadata(Map.of(p0, new OffsetCommit(8, "x".repeat(4_097))))
        .await().atMost(WAIT)).hasMessageContaining("offset.metadata.max.bytes");
    assertThat(committed("g-meta")).as("the refused commit wrote nothing").isEqualTo(5L);
    c.commit(Map.of(p0, 6L)).await().atMost(WAIT);
    assertThat(c.committed(Set.of(p0)).await().atMost(WAIT)).containsExactly(Map.entry(p0, OffsetCommit.of(6)));
    c.close().await().atMost(WAIT);
    assertThatThrownBy(() -> c.commit(Map.of(p0, 7L)).await().atMost(WAIT)).hasMessageContaining("it is closed");
  }

  @Test
  void autoCommitCommitsWhatWasHandedOutWithoutCommitCallsAndANewMemberResumesAfterIt() {
    client.admin().createTopic("auto", 1, 1, Map.of()).await().atMost(WAIT);
    produce("auto", 0, 12, 1_000);
    GroupConsumer c = client.consumer(ConsumerOptions.of("g-auto", List.of("auto")).fetchMaxWaitMs(100)
        .sessionTimeoutMs(6_000).enableAutoCommit(true).autoCommitIntervalMs(100));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe()
        .withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    sub.awaitItems(12, WAIT);
    // No commit call: the consumer keeps polling (demand is open) and commits on its interval, as Kafka's does.
    await("the group's committed offset reaches 12 with the member still open").atMost(Duration.ofMinutes(1))
        .until(() -> committed("g-auto") == 12L);

    produce("auto", 0, 3, 2_000);
    sub.awaitItems(15, WAIT);
    await("the committed offset follows the next records handed out").atMost(Duration.ofMinutes(1))
        .until(() -> committed("g-auto") == 15L);
    sub.cancel();
    c.close().await().atMost(WAIT);

    produce("auto", 0, 2, 3_000);
    GroupConsumer next = client.consumer(options("g-auto", "auto"));
    assertThat(next.records().select().first(2).collect().asList().await().atMost(WAIT))
        .extracting(ConsumerRecord::offset).containsExactly(15L, 16L);
    next.close().await().atMost(WAIT);
  }

  /** The group's committed offset of partition 0 of its only topic, or -1 without a commit. */
  private long committed(String group) {
    List<PartitionLag> lags = client.admin().groupLags(group).await().atMost(WAIT);
    return lags.isEmpty() || lags.get(0).committedOffset() == null ? -1 : lags.get(0).committedOffset();
  }

  @Test
  void aSlowSubscriberDoesNotMakeTheConsumerPollAhead() {
    client.admin().createTopic("slow", 1, 1, Map.of()).await().atMost(WAIT);
    produce("slow", 0, 60, 1_000);
    GroupConsumer c = client.consumer(options("g-slow", "slow").fetchMaxBytes(400));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(3));
    sub.awaitItems(3, WAIT);
    long polls = c.pollRequests();
    // An observation window: nothing may happen in it; a consumer that fetched ahead would poll on meanwhile.
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_000);
    while (System.nanoTime() < until) {
      // The poll whose records the subscriber holds and at most two ahead of it.
      assertThat(c.pollRequests()).isLessThanOrEqualTo(Math.max(polls, 3));
      Thread.yield();
    }
    sub.request(57);
    sub.awaitItems(60, WAIT);
    assertThat(c.pollRequests()).isLessThan(60);
    assertThat(sub.getItems()).extracting(ConsumerRecord::offset).containsExactlyElementsOf(
        java.util.stream.LongStream.range(0, 60).boxed().toList());
    c.close().await().atMost(WAIT);
  }

  @Test
  void aPollGoesAheadWhileTheApplicationHoldsRecordsYetTheCommitCoversOnlyWhatWasHandedOut() {
    client.admin().createTopic("ahead", 1, 1, Map.of()).await().atMost(WAIT);
    produce("ahead", 0, 60, 1_000);
    GroupConsumer c = client.consumer(options("g-ahead", "ahead").fetchMaxBytes(400));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(3));
    sub.awaitItems(3, WAIT);
    // The first poll brought more than the 3 asked for; the next two are sent while the rest waits for demand, so the
    // broker reads one while the client decodes the other.
    await("two polls sent ahead of the application's demand").atMost(Duration.ofMinutes(1))
        .until(() -> c.pollRequests() >= 3);
    await("two polls ahead, no more").atMost(Duration.ofMinutes(1))
        .until(() -> c.pollRequests() == 3 && sub.getItems().size() == 3);

    c.commit().await().atMost(WAIT);
    assertThat(committed("g-ahead")).isEqualTo(3L);
    sub.cancel();
    c.close().await().atMost(WAIT);

    GroupConsumer next = client.consumer(options("g-ahead", "ahead"));
    assertThat(next.records().select().first(57).collect().asList().await().atMost(WAIT))
        .extracting(ConsumerRecord::offset)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(3, 60).boxed().toList());
    next.close().await().atMost(WAIT);
  }

  /**
   * A poll asks {@code maxPartitionFetchBytes} (Kafka's default 1 MiB) per owned partition, as a Kafka consumer's fetch
   * does: a member of six partitions reads 700 KiB of each in two polls (the first, before the assignment is known,
   * asks one partition's share). A poll of one size for all its partitions gave each a sixth of that: one 100 KiB
   * record per partition per poll, eight polls.
   */
  @Test
  void aPollAsksItsShareForEveryOwnedPartition() {
    client.admin().createTopic("wide", 6, 1, Map.of()).await().atMost(WAIT);
    byte[] value = new byte[100 * 1024];
    for (int p = 0; p < 6; p++) {
      for (int i = 0; i < 8; i++) {
        producer.send(new ProducerRecord("wide", p, 1_000L + i, null, value, List.of())).await().atMost(WAIT);
      }
    }
    GroupConsumer c = client.consumer(options("g-wide", "wide"));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(48));
    sub.awaitItems(48, WAIT);
    // The two polls that brought the records, and up to two sent ahead of the demand after them.
    assertThat(c.pollRequests()).isLessThanOrEqualTo(4);
    assertThat(sub.getItems()).hasSize(48);
    c.close().await().atMost(WAIT);
  }

  @Test
  void seekMovesToATimestampTheBeginningAndTheEnd() {
    client.admin().createTopic("seek", 1, 1, Map.of()).await().atMost(WAIT);
    produce("seek", 0, 20, 10_000);
    TopicPartition tp = new TopicPartition("seek", 0);
    GroupConsumer c = client.consumer(options("g-seek", "seek"));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(20));
    sub.awaitItems(20, WAIT);

    c.seek(tp, StartPosition.timestamp(10_012)).await().atMost(WAIT);
    sub.request(1);
    sub.awaitItems(21, WAIT);
    assertThat(sub.getItems().get(20).offset()).isEqualTo(12);

    c.seek(tp, StartPosition.beginning()).await().atMost(WAIT);
    sub.request(1);
    sub.awaitItems(22, WAIT);
    assertThat(sub.getItems().get(21).offset()).isZero();

    c.seek(tp, StartPosition.end()).await().atMost(WAIT);
    produce("seek", 0, 1, 20_000);
    sub.request(1);
    sub.awaitItems(23, WAIT);
    assertThat(sub.getItems().get(22).offset()).isEqualTo(20);
    c.close().await().atMost(WAIT);
  }

  @Test
  void aSeekInTheMiddleOfAPollDropsTheRestOfItAndTheCommitsFollowWhatWasHandedOut() {
    client.admin().createTopic("midseek", 1, 1, Map.of()).await().atMost(WAIT);
    produce("midseek", 0, 20, 1_000);
    TopicPartition tp = new TopicPartition("midseek", 0);
    GroupConsumer c = client.consumer(options("g-midseek", "midseek"));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(5));
    sub.awaitItems(5, WAIT);
    // Records after the first of a run are handed out without the lock while nothing changed; the seek is a change:
    // the rest of the run (and of the polls sent ahead) is dropped, and the commit covers only what was handed out.
    c.seek(tp, StartPosition.offset(15)).await().atMost(WAIT);
    c.commit().await().atMost(WAIT);
    assertThat(committed("g-midseek")).isEqualTo(5L);

    sub.request(100);
    sub.awaitItems(10, WAIT);
    assertThat(sub.getItems()).extracting(ConsumerRecord::offset)
        .containsExactly(0L, 1L, 2L, 3L, 4L, 15L, 16L, 17L, 18L, 19L);
    c.commit().await().atMost(WAIT);
    assertThat(committed("g-midseek")).isEqualTo(20L);
    c.close().await().atMost(WAIT);
  }

  @Test
  void aPausedPartitionIsHeldBackAndResumesAtItsFirstUndeliveredRecord() {
    client.admin().createTopic("pause", 2, 1, Map.of()).await().atMost(WAIT);
    produce("pause", 0, 15, 1_000);
    produce("pause", 1, 15, 1_000);
    TopicPartition p0 = new TopicPartition("pause", 0);
    GroupConsumer c = client.consumer(options("g-pause", "pause").fetchMaxBytes(300));
    c.pause(Set.of(p0));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(15));
    sub.awaitItems(15, WAIT);
    assertThat(sub.getItems()).extracting(ConsumerRecord::partition).containsOnly(1);
    assertThat(c.paused()).containsExactly(p0);

    c.resume(Set.of(p0)).await().atMost(WAIT);
    sub.request(15);
    sub.awaitItems(30, WAIT);
    assertThat(sub.getItems().subList(15, 30)).extracting(ConsumerRecord::partition).containsOnly(0);
    assertThat(sub.getItems().subList(15, 30)).extracting(ConsumerRecord::offset).containsExactlyElementsOf(
        java.util.stream.LongStream.range(0, 15).boxed().toList());
    assertThat(c.paused()).isEmpty();
    c.close().await().atMost(WAIT);
  }

  @Test
  void aPartitionPausedInTheMiddleOfAPollIsHeldBackFromItsNextRecord() {
    client.admin().createTopic("midpause", 2, 1, Map.of()).await().atMost(WAIT);
    produce("midpause", 0, 15, 1_000);
    produce("midpause", 1, 15, 1_000);
    GroupConsumer c = client.consumer(options("g-midpause", "midpause"));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(5));
    sub.awaitItems(5, WAIT);
    // One poll brought both partitions' records, one partition after the other; pause the one being handed out.
    int first = sub.getItems().get(0).partition();
    assertThat(sub.getItems()).extracting(ConsumerRecord::partition).containsOnly(first);
    TopicPartition paused = new TopicPartition("midpause", first);
    c.pause(Set.of(paused));
    sub.request(100);
    sub.awaitItems(20, WAIT);
    assertThat(sub.getItems().subList(5, 20)).extracting(ConsumerRecord::partition).containsOnly(1 - first);

    c.resume(Set.of(paused)).await().atMost(WAIT);
    sub.awaitItems(30, WAIT);
    assertThat(sub.getItems().subList(20, 30)).extracting(ConsumerRecord::partition).containsOnly(first);
    assertThat(sub.getItems().subList(20, 30)).extracting(ConsumerRecord::offset).containsExactlyElementsOf(
        java.util.stream.LongStream.range(5, 15).boxed().toList());
    c.close().await().atMost(WAIT);
  }

  @Test
  void adminListsDescribesAndResetsAGroupWithADryRunFirst() {
    client.admin().createTopic("adm", 1, 1, Map.of()).await().atMost(WAIT);
    produce("adm", 0, 10, 1_000);
    GroupConsumer c = client.consumer(options("g-adm", "adm"));
    c.records().select().first(10).collect().asList().await().atMost(WAIT);
    c.commit().await().atMost(WAIT);

    Admin admin = client.admin();
    assertThat(admin.listGroups().await().atMost(WAIT)).extracting(GroupListing::groupId).contains("g-adm");
    GroupDescription d = admin.describeGroup("g-adm").await().atMost(WAIT);
    assertThat(d.members()).hasSize(1);
    assertThat(d.members().get(0).partitions()).containsExactly(new TopicPartition("adm", 0));
    assertThat(admin.groupLags("g-adm").await().atMost(WAIT)).containsExactly(
        new PartitionLag(new TopicPartition("adm", 0), 10L, 10L, 0L));
    c.close().await().atMost(WAIT);

    List<OffsetReset.Result> dry = admin.resetGroupOffsets("g-adm", OffsetReset.toOffset(4).asDryRun())
        .await().atMost(WAIT);
    assertThat(dry).containsExactly(new OffsetReset.Result(new TopicPartition("adm", 0), 10L, 4, 0, 6));
    assertThat(admin.groupLags("g-adm").await().atMost(WAIT).get(0).committedOffset()).isEqualTo(10L);

    admin.resetGroupOffsets("g-adm", OffsetReset.toOffset(4)).await().atMost(WAIT);
    assertThat(admin.groupLags("g-adm").await().atMost(WAIT).get(0).lag()).isEqualTo(6L);
    GroupConsumer again = client.consumer(options("g-adm", "adm"));
    assertThat(again.records().select().first(1).collect().asList().await().atMost(WAIT).get(0).offset())
        .isEqualTo(4);
    again.close().await().atMost(WAIT);
  }

  /** Kafka's deleteConsumerGroupOffsets: refused while a member subscribes, then the group starts over at earliest. */
  @Test
  void adminDeletesAGroupsOffsetsOnceNoMemberSubscribesToTheirTopic() {
    client.admin().createTopic("adm-del", 2, 1, Map.of()).await().atMost(WAIT);
    produce("adm-del", 0, 4, 1_000);
    produce("adm-del", 1, 4, 1_000);
    GroupConsumer c = client.consumer(options("g-adm-del", "adm-del"));
    c.records().select().first(8).collect().asList().await().atMost(WAIT);
    c.commit().await().atMost(WAIT);
    Admin admin = client.admin();
    TopicPartition p0 = new TopicPartition("adm-del", 0);
    assertThatThrownBy(() -> admin.deleteGroupOffsets("g-adm-del", List.of(p0)).await().atMost(WAIT))
        .isInstanceOf(SluiceException.class).extracting(e -> ((SluiceException) e).errorCode())
        .isEqualTo(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    c.close().await().atMost(WAIT);

    assertThat(admin.deleteGroupOffsets("g-adm-del", List.of(p0)).await().atMost(WAIT))
        .containsExactly(Map.entry(p0, 4L));
    assertThat(admin.groupLags("g-adm-del").await().atMost(WAIT)).extracting(PartitionLag::partition)
        .containsExactly(new TopicPartition("adm-del", 1));
    GroupConsumer again = client.consumer(options("g-adm-del", "adm-del"));
    List<ConsumerRecord> replayed = again.records().select().first(4).collect().asList().await().atMost(WAIT);
    assertThat(replayed).extracting(ConsumerRecord::partition).containsOnly(0);
    assertThat(replayed).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L, 3L);
    again.close().await().atMost(WAIT);
    assertThat(admin.deleteAllGroupOffsets("g-adm-del").await().atMost(WAIT)).containsOnlyKeys(
        new TopicPartition("adm-del", 1));
    assertThat(admin.groupLags("g-adm-del").await().atMost(WAIT)).isEmpty();
  }

  /**
   * Kafka's deleteConsumerGroups: a group with a consumer not yet closed is refused, the others are deleted and each
   * is answered on its own; a deleted group is no longer listed and a consumer of its name starts at earliest.
   */
  @Test
  void adminDeletesGroupsWithoutMembersAndAnswersEachGroup() {
    client.admin().createTopic("adm-gdel", 1, 1, Map.of()).await().atMost(WAIT);
    produce("adm-gdel", 0, 3, 1_000);
    Admin admin = client.admin();
    GroupConsumer busy = client.consumer(options("g-busy", "adm-gdel"));
    busy.records().select().first(3).collect().asList().await().atMost(WAIT);
    busy.commit().await().atMost(WAIT);
    GroupConsumer done = client.consumer(options("g-done", "adm-gdel"));
    done.records().select().first(3).collect().asList().await().atMost(WAIT);
    done.commit().await().atMost(WAIT);
    done.close().await().atMost(WAIT);

    List<GroupDeletion> answers = admin.deleteGroups(List.of("g-busy", "g-done", "g-never")).await().atMost(WAIT);
    assertThat(answers).extracting(GroupDeletion::group).containsExactly("g-busy", "g-done", "g-never");
    assertThat(answers).extracting(GroupDeletion::deleted).containsExactly(false, true, false);
    assertThat(answers.get(0).failure()).isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.NON_EMPTY_GROUP);
    assertThat(answers.get(2).failure()).isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    assertThat(admin.listGroups().await().atMost(WAIT)).extracting(GroupListing::groupId)
        .contains("g-busy").doesNotContain("g-done");

    busy.close().await().atMost(WAIT);
    admin.deleteGroup("g-busy").await().atMost(WAIT);
    assertThatThrownBy(() -> admin.describeGroup("g-busy").await().atMost(WAIT)).isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    GroupConsumer again = client.consumer(options("g-done", "adm-gdel"));
    assertThat(again.records().select().first(1).collect().asList().await().atMost(WAIT).get(0).offset())
        .as("starts empty, at earliest").isEqualTo(0);
    again.close().await().atMost(WAIT);
  }
}
