package io.sluice.broker.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ElectionType;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.FetchRequest;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.AclMatcher;
import io.sluice.broker.acl.Acls;
import io.sluice.broker.acl.Authorizer;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Kafka's mapping of each broker operation to the ACL it needs, checked before the call reaches the broker. */
class PolicyAuthorizationTest {
  private static final RequestContext CLIENT = RequestContext.anonymous("http", "127.0.0.1:5000", "test");
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private final List<String> reached = new ArrayList<>();
  private final BrokerService delegate = (BrokerService) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {BrokerService.class}, (proxy, method, args) -> {
        reached.add(method.getName());
        return Future.succeededFuture(method.getName().equals("listTopics") ? List.of("t", "u") : null);
      });
  private final Authorizer authorizer = new Authorizer(Set.of(), false);
  private final PolicyBrokerService policy = new PolicyBrokerService(delegate, new Acls(authorizer, null));

  private record Case(String name, ResourceType type, AclOperation op, Function<BrokerService, Future<?>> call) {
  }

  private static final List<Case> CASES = List.of(
      new Case("produce", ResourceType.TOPIC, AclOperation.WRITE,
          s -> s.produce(CLIENT, TP, ByteBuffer.allocate(0), Acks.ALL)),
      new Case("fetch", ResourceType.TOPIC, AclOperation.READ, s -> s.fetch(CLIENT, new FetchRequest(TP, 0, 1, 1, 0))),
      new Case("describeTopic", ResourceType.TOPIC, AclOperation.DESCRIBE, s -> s.describeTopic(CLIENT, "t")),
      new Case("offsets", ResourceType.TOPIC, AclOperation.DESCRIBE, s -> s.offsets(CLIENT, TP)),
      new Case("offsetForTimestamp", ResourceType.TOPIC, AclOperation.DESCRIBE,
          s -> s.offsetForTimestamp(CLIENT, TP, 0)),
      new Case("createPartitions", ResourceType.TOPIC, AclOperation.ALTER, s -> s.createPartitions(CLIENT, "t", 2)),
      new Case("describeTopicConfigs", ResourceType.TOPIC, AclOperation.DESCRIBE_CONFIGS,
          s -> s.describeTopicConfigs(CLIENT, "t")),
      new Case("alterTopicConfigs", ResourceType.TOPIC, AclOperation.ALTER_CONFIGS,
          s -> s.alterTopicConfigs(CLIENT, "t", List.of(ConfigAlteration.set("retention.ms", "1")), false)),
      new Case("deleteTopic", ResourceType.TOPIC, AclOperation.DELETE, s -> s.deleteTopic(CLIENT, "t")),
      new Case("deleteRecords", ResourceType.TOPIC, AclOperation.DELETE, s -> s.deleteRecords(CLIENT, TP, 1)),
      new Case("createTopic", ResourceType.TOPIC, AclOperation.CREATE,
          s -> s.createTopic(CLIENT, new NewTopic("t", 1, 1, Map.of()))),
      new Case("initProducerId", ResourceType.CLUSTER, AclOperation.IDEMPOTENT_WRITE, s -> s.initProducerId(CLIENT)),
      new Case("alterPartitionReassignment", ResourceType.CLUSTER, AclOperation.ALTER,
          s -> s.alterPartitionReassignment(CLIENT, TP, List.of(1, 2))),
      new Case("listPartitionReassignments", ResourceType.CLUSTER, AclOperation.DESCRIBE,
          s -> s.listPartitionReassignments(CLIENT)),
      new Case("electLeaders", ResourceType.CLUSTER, AclOperation.ALTER,
          s -> s.electLeaders(CLIENT, ElectionType.PREFERRED, List.of(TP))));

  private void allow(ResourceType type, AclOperation op) {
    authorizer.update(new AclMatcher(List.of(new AclBinding(type, type == ResourceType.CLUSTER
        ? ResourceType.CLUSTER_NAME : "t", PatternType.LITERAL, "User:ANONYMOUS", "*", op, AclPermission.ALLOW))));
  }

  @Test
  void eachOperationIsRefusedWithoutItsAclAndPassesWithIt() {
    for (Case c : CASES) {
      authorizer.update(AclMatcher.EMPTY);
      Future<?> refused = c.call().apply(policy);
      assertThat(refused.failed()).as(c.name()).isTrue();
      assertThat(((SluiceException) refused.cause()).errorCode()).as(c.name()).isEqualTo(
          c.type() == ResourceType.TOPIC ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      assertThat(refused.cause().getMessage()).as(c.name()).contains(c.op().displayName());
      assertThat(reached).as(c.name() + " refused before the broker").isEmpty();
      allow(c.type(), c.op());
      assertThat(c.call().apply(policy).succeeded()).as(c.name()).isTrue();
      assertThat(reached).as(c.name()).containsExactly(c.name());
      reached.clear();
    }
  }

  @Test
  void createIsAllowedByClusterCreateAndIdempotentProducersByWriteOnAnyTopic() {
    allow(ResourceType.CLUSTER, AclOperation.CREATE);
    assertThat(policy.createTopic(CLIENT, new NewTopic("any", 1, 1, Map.of())).succeeded()).isTrue();
    allow(ResourceType.TOPIC, AclOperation.WRITE);
    assertThat(policy.initProducerId(CLIENT).succeeded()).isTrue();
  }

  @Test
  void theTopicListingLeavesOutWhatTheCallerMayNotDescribe() {
    allow(ResourceType.TOPIC, AclOperation.READ);
    assertThat(policy.listTopics(CLIENT).result()).containsExactly("t");
  }

  @Test
  void theClusterIsDescribedToAnyCallerAsKafkasMetadataIs() {
    assertThat(policy.describeCluster(CLIENT).succeeded()).isTrue();
    assertThat(reached).containsExactly("describeCluster");
  }

  @Test
  void theBrokersOwnCallsPass() {
    for (Case c : CASES) {
      assertThat(policy.authorize(RequestContext.internal(1), c.type(), "t", c.op()).succeeded()).isTrue();
    }
    assertThat(policy.authorize(CLIENT, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, AclOperation.ALTER).failed())
        .isTrue();
  }

  @Test
  void withTheAuthorizerOffNothingIsCheckedAndTheAclApiIsDisabled() {
    PolicyBrokerService off = new PolicyBrokerService(delegate);
    for (Case c : CASES) {
      assertThat(c.call().apply(off).succeeded()).as(c.name()).isTrue();
    }
    // The broker behind the policy answers the ACL calls with BrokerService's defaults.
    BrokerService broker = (BrokerService) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {BrokerService.class}, (proxy, method, args) -> method.isDefault()
            ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args) : null);
    Future<?> acls = new PolicyBrokerService(broker).describeAcls(CLIENT,
        io.sluice.api.acl.AclBindingFilter.ANY);
    assertThat(((SluiceException) acls.cause()).errorCode()).isEqualTo(ErrorCode.SECURITY_DISABLED);
  }
}
