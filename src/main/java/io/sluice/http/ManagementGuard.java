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
 * write with their own principal); and the client quotas' {@code /client-quotas}: Cluster DescribeConfigs to read,
 * AlterConfigs to change, as Kafka's DescribeClientQuotas and AlterClientQuotas, and so {@code /brokers/{b}/configs}
 * as Kafka's DescribeConfigs and IncrementalAlterConfigs of a broker; and the metrics' {@code /metrics}
 * routes, which list every topic and group: Cluster Describe. With the authorizer off
 * {@link BrokerService#authorize} always succeeds.
 */
final class ManagementGuard {
  private final BrokerService service;

  ManagementGuard(BrokerService service) {
    this.service = service;
  }

  /** Mounted before the extensions' routes, so it runs first. */
  void mount(Router router) {
    router.routeWithRegex("/(connectors|connector-plugins|streams)(/.*)?")
        .handler(ctx -> guard(ctx, AclOperation.DESCRIBE, AclOperation.ALTER));
    // The schema registry: reading it (its look-ups and compatibility checks too, though POSTs) needs Cluster
    // Describe, changing it Cluster Alter, as Connect's API.
    router.routeWithRegex("/schema-registry(/.*)?").handler(this::guardSchemaRegistry);
    // The metrics name every topic and group with their traffic, sizes and lags (Kafka keeps its metrics off the
    // client protocol): Cluster Describe; the dashboard's charts then need it too.
    router.routeWithRegex("/metrics(/.*)?")
        .handler(ctx -> guard(ctx, AclOperation.DESCRIBE, AclOperation.ALTER));
    // Kafka's DescribeClientQuotas and AlterClientQuotas
    router.routeWithRegex("/client-quotas(:alter)?")
        .handler(ctx -> guard(ctx, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS));
    // Kafka's DescribeConfigs and IncrementalAlterConfigs of a broker (its listeners' key and trust stores)
    router.routeWithRegex("/brokers/[^/]+/configs(:alter)?")
        .handler(ctx -> guard(ctx, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS));
  }

  private void guardSchemaRegistry(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    boolean lookUp = ctx.request().method() == HttpMethod.POST
        && (path.matches("/schema-registry/subjects/[^/]+/?") || path.startsWith("/schema-registry/compatibility/"));
    guard(ctx, AclOperation.DESCRIBE, lookUp ? AclOperation.DESCRIBE : AclOperation.ALTER);
  }

  private void guard(RoutingContext ctx, AclOperation toRead, AclOperation toChange) {
    HttpMethod m = ctx.request().method();
    AclOperation op = m == HttpMethod.GET || m == HttpMethod.HEAD ? toRead : toChange;
    service.authorize(Callers.of(ctx), ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, op)
        .onSuccess(v -> ctx.next()).onFailure(ctx::fail);
  }
}
