package io.sluice.broker.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.CommittedOffset;
import io.sluice.api.ConsumerService;
import io.sluice.api.GroupService;
import io.sluice.api.PartitionLag;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.AclMatcher;
import io.sluice.broker.acl.Authorizer;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Offset fetches and lags show only the topics the caller may Describe, as Kafka's OffsetFetch filters them, and a
 * refusal of a reset of every committed topic does not name one it may not Describe: a group
 * with commits on a visible and a hidden topic, a caller with Group Describe and Read on the visible one only.
 */
class GroupOffsetsDescribeTest {
  private static final RequestContext CLIENT = RequestContext.anonymous("http", "127.0.0.1:5000", "test");
  private static final TopicPartition VISIBLE = new TopicPartition("visible", 0);
  private static final TopicPartition HIDDEN = new TopicPartition("hidden", 0);
  private static final CommittedOffset AT_5 = new CommittedOffset(5, "", 0);
  private static final Map<TopicPartition, CommittedOffset> COMMITS = Map.of(VISIBLE, AT_5, HIDDEN, AT_5);

  private final Authorizer authorizer = new Authorizer(Set.of(), false);
  private final GroupService groups = new AuthorizingGroupService((GroupService) Proxy.newProxyInstance(
      getClass().getClassLoader(), new Class<?>[] {GroupService.class}, (proxy, method, args) ->
          switch (method.getName()) {
            case "fetchOffsets" -> Future.succeededFuture(COMMITS);
            case "lags" -> Future.succeededFuture(List.of(new PartitionLag(VISIBLE, AT_5, 9L),
                new PartitionLag(HIDDEN, AT_5, 9L)));
            default -> throw new AssertionError(method.getName());
          }), authorizer);
  private final ConsumerService consumers = new AuthorizingConsumerService((ConsumerService) Proxy.newProxyInstance(
      getClass().getClassLoader(), new Class<?>[] {ConsumerService.class}, (proxy, method, args) ->
          switch (method.getName()) {
            case "committed" -> Future.succeededFuture(COMMITS);
            case "lags" -> Future.succeededFuture(new JsonArray().add(new JsonObject().put("topic", "visible"))
                .add(new JsonObject().put("topic", "hidden")));
            default -> throw new AssertionError(method.getName());
          }), authorizer);

  @BeforeEach
  void grant() {
    authorizer.update(new AclMatcher(List.of(
        binding(ResourceType.GROUP, "g", AclOperation.READ),
        binding(ResourceType.TOPIC, "visible", AclOperation.READ))));
  }

  private static AclBinding binding(ResourceType type, String name, AclOperation op) {
    return new AclBinding(type, name, PatternType.LITERAL, "User:ANONYMOUS", "*", op, AclPermission.ALLOW);
  }

  @Test
  void anOffsetFetchOfEveryTopicLeavesOutTopicsTheCallerMayNotDescribe() {
    assertThat(groups.fetchOffsets(CLIENT, "g", null).result()).containsOnlyKeys(VISIBLE);
    assertThat(consumers.committed(CLIENT, "g", "c", null, false).result()).containsOnlyKeys(VISIBLE);
  }

  @Test
  void lagsLeaveOutTopicsTheCallerMayNotDescribe() {
    assertThat(groups.lags(CLIENT, "g").result()).extracting(l -> l.partition().topic()).containsExactly("visible");
    assertThat(consumers.lags(CLIENT, "g").result().stream().map(o -> ((JsonObject) o).getString("topic")))
        .containsExactly("visible");
  }

  @Test
  void namingATopicTheCallerMayNotDescribeIsRefused() {
    Future<?> fetch = groups.fetchOffsets(CLIENT, "g", List.of(HIDDEN));
    assertThat(((SluiceException) fetch.cause()).errorCode()).isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    Future<?> committed = consumers.committed(CLIENT, "g", "c", List.of(VISIBLE, HIDDEN), false);
    assertThat(((SluiceException) committed.cause()).errorCode()).isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assertThat(groups.fetchOffsets(CLIENT, "g", List.of(VISIBLE)).succeeded()).isTrue();
  }

  /** A reset of every committed partition refused for a hidden topic does not name it (nor reach the broker). */
  @Test
  void aResetOfEveryCommittedTopicIsRefusedWithoutNamingATopicTheCallerMayNotDescribe() {
    Future<?> reset = groups.resetOffsets(CLIENT, "g", new io.sluice.api.OffsetReset("earliest", -1, -1, null, null,
        true));
    assertThat(((SluiceException) reset.cause()).errorCode()).isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assertThat(reset.cause().getMessage()).doesNotContain("hidden");
    Future<?> resetThroughConsumers = consumers.resetOffsets(CLIENT, "g", new JsonObject().put("to", "earliest"));
    assertThat(((SluiceException) resetThroughConsumers.cause()).errorCode())
        .isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assertThat(resetThroughConsumers.cause().getMessage()).doesNotContain("hidden");
  }
}
