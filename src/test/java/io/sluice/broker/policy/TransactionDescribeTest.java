package io.sluice.broker.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionService;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.AclMatcher;
import io.sluice.broker.acl.Authorizer;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A transaction's description names only the partitions of topics the caller may Describe (Kafka's filter). */
class TransactionDescribeTest {
  private static final RequestContext CLIENT = RequestContext.anonymous("http", "127.0.0.1:5000", "test");

  @Test
  void aDescriptionLeavesOutPartitionsOfTopicsTheCallerMayNotDescribe() {
    Authorizer authorizer = new Authorizer(Set.of(), false);
    authorizer.update(new AclMatcher(List.of(
        new AclBinding(ResourceType.TRANSACTIONAL_ID, "tx", PatternType.LITERAL, "User:ANONYMOUS", "*",
            AclOperation.DESCRIBE, AclPermission.ALLOW),
        new AclBinding(ResourceType.TOPIC, "visible", PatternType.LITERAL, "User:ANONYMOUS", "*",
            AclOperation.WRITE, AclPermission.ALLOW))));
    TransactionDescription ongoing = new TransactionDescription("tx", 1, "Ongoing", 7, (short) 0, 60_000, 1,
        List.of(new TopicPartition("visible", 0), new TopicPartition("hidden", 0), new TopicPartition("visible", 1)));
    TransactionService service = new AuthorizingTransactionService((TransactionService) Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {TransactionService.class},
        (proxy, method, args) -> Future.succeededFuture(ongoing)), authorizer);

    TransactionDescription shown = service.describe(CLIENT, "tx").result();

    assertThat(shown.partitions()).containsExactly(new TopicPartition("visible", 0), new TopicPartition("visible", 1));
    assertThat(shown.state()).isEqualTo("Ongoing");
    assertThat(service.describe(CLIENT, "other").failed()).isTrue();
  }
}
