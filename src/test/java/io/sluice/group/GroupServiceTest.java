package io.sluice.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.GroupDescription;
import io.sluice.api.GroupListing;
import io.sluice.api.GroupProtocol;
import io.sluice.api.GroupService;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.JoinGroupResult;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetCommit;
import io.sluice.api.RequestContext;
import io.sluice.api.Subscription;
import io.sluice.api.SyncGroupRequest;
import io.sluice.api.SyncGroupResult;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group service of a real broker (no listener), as a Kafka wire listener or the streams task assignor would use
 * it: member-assigned groups join, the leader member's assignment reaches every member through sync, a member that
 * joins or falls silent makes the others rebalance, and stale generations are fenced.
 */
class GroupServiceTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.anonymous("test", "127.0.0.1:1", "GroupServiceTest");
  private static final long SESSION_MS = 1_500;
  private static final long REBALANCE_MS = 4_000;

  @TempDir
  static Path dir;
  static Broker broker;
  static GroupService groups;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 2,
        BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS, 500)), GUARD);
    groups = broker.services().groups();
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("t", 2, 1, Map.of())));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static JoinGroupRequest join(String group, String memberId, String client) {
    return JoinGroupRequest.memberAssigned(group, memberId, client, SESSION_MS, REBALANCE_MS, "consumer",
        List.of(new GroupProtocol("range", bytes(client + "-subscription"))));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void theLeadersAssignmentReachesEveryMemberAndAJoiningMemberMakesTheGroupRebalance() {
    JoinGroupResult a1 = await(groups.join(CALLER, join("g1", "", "a")));
    assertThat(a1.isLeader()).isTrue();
    assertThat(a1.generation()).isPositive();
    assertThat(a1.members()).extracting(m -> text(m.metadata())).containsExactly("a-subscription");
    assertThat(text(await(groups.sync(CALLER, new SyncGroupRequest("g1", a1.memberId(), a1.generation(),
        Map.of(a1.memberId(), bytes("a:t-0,t-1"))))).assignment())).isEqualTo("a:t-0,t-1");

    // b joins: its join waits until a has rejoined, which a learns from its heartbeat.
    Future<JoinGroupResult> b2 = groups.join(CALLER, join("g1", "", "b"));
    assertThat(heartbeatUntilRebalance("g1", a1)).isEqualTo(ErrorCode.REBALANCE_IN_PROGRESS);
    assertThat(b2.isComplete()).as("b waits for a").isFalse();
    JoinGroupResult a2 = await(groups.join(CALLER, join("g1", a1.memberId(), "a")));
    JoinGroupResult b = await(b2);
    assertThat(a2.generation()).isEqualTo(a1.generation() + 1).isEqualTo(b.generation());
    assertThat(a2.isLeader()).isTrue();
    assertThat(b.isLeader()).isFalse();
    assertThat(b.members()).as("only the leader sees the members").isEmpty();
    assertThat(a2.members()).extracting(m -> text(m.metadata()))
        .containsExactlyInAnyOrder("a-subscription", "b-subscription");

    // b's sync waits for the leader's; the leader's gives each member its part.
    Future<SyncGroupResult> bSync = groups.sync(CALLER, SyncGroupRequest.follower("g1", b.memberId(), b.generation()));
    SyncGroupResult aSync = await(groups.sync(CALLER, new SyncGroupRequest("g1", a2.memberId(), a2.generation(),
        Map.of(a2.memberId(), bytes("a:t-0"), b.memberId(), bytes("b:t-1")))));
    assertThat(text(aSync.assignment())).isEqualTo("a:t-0");
    assertThat(text(await(bSync).assignment())).isEqualTo("b:t-1");
    await(groups.heartbeat(CALLER, "g1", b.memberId(), b.generation()));

    // Fencing: a commit of the previous generation is refused, one of the current is kept.
    TopicPartition t1 = new TopicPartition("t", 1);
    assertCode(groups.commit(CALLER, "g1", a1.memberId(), a1.generation(), Map.of(t1, new OffsetCommit(5, "old"))),
        ErrorCode.ILLEGAL_GENERATION);
    await(groups.commit(CALLER, "g1", b.memberId(), b.generation(), Map.of(t1, new OffsetCommit(7, "m"))));
    assertThat(await(groups.fetchOffsets(CALLER, "g1", null)).get(t1).offset()).isEqualTo(7);
    assertThat(await(groups.fetchOffsets(CALLER, "g1", null)).get(t1).metadata()).isEqualTo("m");
    assertCode(groups.commit(CALLER, "g1", b.memberId(), b.generation(),
        Map.of(new TopicPartition("t", 9), new OffsetCommit(1, ""))), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    GroupDescription d = await(groups.describe(CALLER, "g1"));
    assertThat(d.state()).isEqualTo("Stable");
    assertThat(d.protocolType()).isEqualTo("consumer");
    assertThat(d.protocol()).isEqualTo("range");
    assertThat(d.leaderId()).isEqualTo(a2.memberId());
    assertThat(d.members()).extracting(m -> text(m.assignment())).containsExactlyInAnyOrder("a:t-0", "b:t-1");
    assertThat(d.members()).extracting(GroupDescription.Member::clientAddress).containsOnly("127.0.0.1:1");
    assertThat(await(groups.list(CALLER))).contains(new GroupListing("g1", "Stable", "consumer"));
    assertThat(await(groups.lags(CALLER, "g1"))).singleElement().satisfies(l -> assertThat(l.lag()).isZero());

    // a leaves: b must rejoin and leads the next generation alone.
    await(groups.leave(CALLER, "g1", a2.memberId()));
    assertThat(heartbeatUntilRebalance("g1", b)).isEqualTo(ErrorCode.REBALANCE_IN_PROGRESS);
    JoinGroupResult b3 = await(groups.join(CALLER, join("g1", b.memberId(), "b")));
    assertThat(b3.isLeader()).isTrue();
    assertThat(b3.generation()).isEqualTo(b.generation() + 1);
    assertCode(groups.heartbeat(CALLER, "g1", a2.memberId(), b3.generation()), ErrorCode.UNKNOWN_MEMBER_ID);
  }

  @Test
  void aMemberThatFallsSilentIsDroppedAndTheOthersRebalanceWithoutIt() {
    JoinGroupResult a = await(groups.join(CALLER, join("g2", "", "a")));
    await(groups.sync(CALLER, new SyncGroupRequest("g2", a.memberId(), a.generation(), Map.of())));
    Future<JoinGroupResult> bJoin = groups.join(CALLER, join("g2", "", "b"));
    heartbeatUntilRebalance("g2", a);
    JoinGroupResult a2 = await(groups.join(CALLER, join("g2", a.memberId(), "a")));
    JoinGroupResult b = await(bJoin);
    Future<SyncGroupResult> bSync = groups.sync(CALLER, SyncGroupRequest.follower("g2", b.memberId(), b.generation()));
    await(groups.sync(CALLER, new SyncGroupRequest("g2", a2.memberId(), a2.generation(), Map.of())));
    await(bSync);

    // b stops heartbeating; a keeps on until it is told to rejoin, once b's session has expired.
    long started = System.nanoTime();
    assertThat(heartbeatUntilRebalance("g2", a2)).isEqualTo(ErrorCode.REBALANCE_IN_PROGRESS);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(SESSION_MS / 2);
    JoinGroupResult a3 = await(groups.join(CALLER, join("g2", a2.memberId(), "a")));
    assertThat(a3.generation()).isEqualTo(a2.generation() + 1);
    assertThat(a3.members()).extracting(JoinGroupResult.MemberMetadata::memberId).containsExactly(a.memberId());
    assertCode(groups.sync(CALLER, SyncGroupRequest.follower("g2", b.memberId(), b.generation())),
        ErrorCode.UNKNOWN_MEMBER_ID);
  }

  @Test
  void aMemberThatHeartbeatsButDoesNotRejoinIsDroppedWhenTheRebalanceTimeoutPasses() throws Exception {
    JoinGroupResult a = await(groups.join(CALLER, join("g5", "", "a")));
    await(groups.sync(CALLER, new SyncGroupRequest("g5", a.memberId(), a.generation(), Map.of())));
    Future<JoinGroupResult> bJoin = groups.join(CALLER, join("g5", "", "b"));
    heartbeatUntilRebalance("g5", a);
    JoinGroupResult a2 = await(groups.join(CALLER, join("g5", a.memberId(), "a")));
    JoinGroupResult b = await(bJoin);
    await(Future.all(groups.sync(CALLER, SyncGroupRequest.follower("g5", b.memberId(), b.generation())),
        groups.sync(CALLER, new SyncGroupRequest("g5", a2.memberId(), a2.generation(), Map.of()))));

    // c joins; a rejoins; b only heartbeats (each answered "rebalancing", each keeping its session alive).
    long started = System.nanoTime();
    Future<JoinGroupResult> cJoin = groups.join(CALLER, join("g5", "", "c"));
    Future<JoinGroupResult> aJoin = groups.join(CALLER, join("g5", a2.memberId(), "a"));
    long deadline = started + TimeUnit.SECONDS.toNanos(20);
    while (!aJoin.isComplete() && System.nanoTime() < deadline) {
      ErrorCode answer = errorOf(groups.heartbeat(CALLER, "g5", b.memberId(), b.generation()));
      if (answer == ErrorCode.UNKNOWN_MEMBER_ID) {
        // The rebalance completed and dropped b between the loop's look at aJoin and this heartbeat: only allowed
        // once the rebalance timeout has passed.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
            .isGreaterThanOrEqualTo(REBALANCE_MS - 500);
        break;
      }
      assertThat(answer).isEqualTo(ErrorCode.REBALANCE_IN_PROGRESS);
      Thread.sleep(200); // b's heartbeat interval, shorter than its session: not a synchronisation
    }
    JoinGroupResult a3 = await(aJoin);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(REBALANCE_MS - 500);
    assertThat(a3.members()).extracting(JoinGroupResult.MemberMetadata::memberId)
        .containsExactlyInAnyOrder(a.memberId(), await(cJoin).memberId());
    assertCode(groups.heartbeat(CALLER, "g5", b.memberId(), a3.generation()), ErrorCode.UNKNOWN_MEMBER_ID);
  }

  @Test
  void serverAssignedMembersGetTheirPartitionsFromTheJoinAndTheKindsOfGroupDoNotMix() {
    JoinGroupResult r = await(groups.join(CALLER, JoinGroupRequest.serverAssigned("g3", "", "rest", SESSION_MS,
        "roundrobin", Subscription.ofTopics(List.of("t")))));
    assertThat(r.protocolType()).isEqualTo(GroupService.SERVER_ASSIGNED);
    assertThat(r.protocol()).isEqualTo("roundrobin");
    assertThat(r.assignment()).containsExactly(new TopicPartition("t", 0), new TopicPartition("t", 1));
    assertThat(await(groups.sync(CALLER, SyncGroupRequest.follower("g3", r.memberId(), r.generation())))
        .partitions()).isEqualTo(r.assignment());
    assertCode(groups.join(CALLER, join("g3", "", "k")), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assertCode(groups.join(CALLER, JoinGroupRequest.serverAssigned("g3", "", "rest", 100, "range",
        Subscription.ofTopics(List.of("t")))), ErrorCode.INVALID_SESSION_TIMEOUT);
    assertCode(groups.join(CALLER, JoinGroupRequest.memberAssigned("g4", "", "k", SESSION_MS,
        GroupConfig.DEFAULT_MAX_REBALANCE_TIMEOUT_MS + 1, "consumer", List.of(new GroupProtocol("range", null)))),
        ErrorCode.INVALID_REQUEST);
    await(groups.leave(CALLER, "g3", r.memberId()));
    assertThat(await(groups.describe(CALLER, "g3")).state()).isEqualTo("Empty");
  }

  /** Heartbeats every 100 ms until the group answers otherwise; returns that error's code. */
  private static ErrorCode heartbeatUntilRebalance(String group, JoinGroupResult member) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try {
        groups.heartbeat(CALLER, group, member.memberId(), member.generation()).await(10, TimeUnit.SECONDS);
        Thread.sleep(100); // a heartbeat interval, as a client has: not a synchronisation
      } catch (SluiceException e) {
        return e.errorCode();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("the group never asked " + member.memberId() + " to rejoin");
  }

  /** The error code the future failed with. */
  private static ErrorCode errorOf(Future<?> f) {
    try {
      f.await(20, TimeUnit.SECONDS);
    } catch (SluiceException e) {
      return e.errorCode();
    } catch (Exception e) {
      throw new AssertionError("expected a SluiceException", e);
    }
    throw new AssertionError("expected a failure, got success");
  }

  private static void assertCode(Future<?> f, ErrorCode code) {
    assertThatThrownBy(() -> f.await(20, TimeUnit.SECONDS)).isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(code);
  }

  private static <T> T await(Future<T> f) {
    return io.sluice.broker.testing.TestFutures.await(f, 20);
  }
}
