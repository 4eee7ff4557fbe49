package io.sluice.api.acl;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.vertx.core.Future;
import java.util.Collection;

/** Asks a policed {@link BrokerService} whether a caller may Read several topics, for reads made on its behalf. */
public final class TopicReads {
  private TopicReads() {
  }

  /** Succeeds once {@code policy} allows the caller Read on each topic, asked in turn; the first refusal fails it. */
  public static Future<Void> check(BrokerService policy, RequestContext caller, Collection<String> topics) {
    Future<Void> checks = Future.succeededFuture();
    for (String topic : topics) {
      checks = checks.compose(v -> policy.authorize(caller, ResourceType.TOPIC, topic, AclOperation.READ));
    }
    return checks;
  }
}
