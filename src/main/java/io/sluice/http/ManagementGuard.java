package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Guards the management APIs broker services add (Kafka Connect's {@code /connectors}, {@code /connector-plugins};
 * {@code /streams}) with the cluster's ACLs, since their calls do not pass the contract: reading them needs Cluster
 * Describe, changing them Cluster Alter (connectors and streams then write as the broker, as Kafka Connect's workers
 * write with their own principal). With the authorizer off {@link BrokerService#authorize} always succeeds.
 */
final class ManagementGuard {
  private final BrokerService service;

  ManagementGuard(BrokerService service) {
    this.service = service;
  }

  /** Mounted before the extensions' routes, so it runs first. */
  void mount(Router router) {
    router.routeWithRegex("/(connectors|connector-plugins|streams)(/.*)?").handler(this::guard);
  }

  private void guard(RoutingContext ctx) {
    HttpMethod m = ctx.request().method();
    AclOperation op = m == HttpMethod.GET || m == HttpMethod.HEAD ? AclOperation.DESCRIBE : AclOperation.ALTER;
    service.authorize(Callers.of(ctx), ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, op)
        .onSuccess(v -> ctx.next()).onFailure(ctx::fail);
  }
}
