package io.sluice.broker.acl;

import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclBindingFilter;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.vertx.core.Future;
import java.util.List;

/**
 * The broker's authorization when {@code authorizer.enable} is on: the {@link Authorizer} that decides requests, fed
 * by the {@link ZkAclStore}, and the ACL administration (listing needs Cluster Describe, changes Cluster Alter).
 */
public final class Acls {
  private final Authorizer authorizer;
  private final ZkAclStore store;

  public Acls(Authorizer authorizer, ZkAclStore store) {
    this.authorizer = authorizer;
    this.store = store;
  }

  public Authorizer authorizer() {
    return authorizer;
  }

  public Future<List<AclBinding>> describe(RequestContext caller, AclBindingFilter filter) {
    return cluster(caller, AclOperation.DESCRIBE).compose(v -> Future.succeededFuture(store.describe(filter)));
  }

  public Future<Void> create(RequestContext caller, List<AclBinding> bindings) {
    return cluster(caller, AclOperation.ALTER).compose(v -> store.create(bindings));
  }

  public Future<List<AclBinding>> delete(RequestContext caller, AclBindingFilter filter) {
    return cluster(caller, AclOperation.ALTER).compose(v -> store.delete(filter));
  }

  private Future<Void> cluster(RequestContext caller, AclOperation op) {
    return authorizer.allowed(caller, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, op) ? Future.succeededFuture()
        : Future.failedFuture(Authorizer.refusal(caller, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, op));
  }
}
