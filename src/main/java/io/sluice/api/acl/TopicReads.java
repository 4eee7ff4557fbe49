package io.sluice.api.acl;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.vertx.core.Future;
import java.util.Collection;

/** Asks a policed {@link BrokerService} whether a caller may Read (or Describe) several topics, for work made on its behalf. */
public final class TopicReads {
  private TopicReads() {
  }

  /** Succeeds once {@code policy} allows the caller Read on each topic, asked in turn; the first refusal fails it. */
  public static Future<Void> check(BrokerService policy, RequestContext caller, Collection<String> topics) {
    return check(policy, caller, topics, AclOperation.READ);
  }

  /** Succeeds once {@code policy} allows the caller {@code op} on each topic, asked in turn; the first refusal fails it. */
  public static Future<Void> check(BrokerService policy, RequestContext caller, Collection<String> topics,
      AclOperation op) {
    Future<Void> checks = Future.succeededFuture();
    for (String topic : topics) {
      checks = checks.compose(v -> policy.authorize(caller, ResourceType.TOPIC, topic, op));
    }
    return checks;
  }
}
