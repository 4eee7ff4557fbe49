package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.sluice.client.Admin;
import io.sluice.client.ClientQuotas;
import io.sluice.client.ClusterDescription;
import io.sluice.client.ConfigChange;
import io.sluice.client.GroupDeletion;
import io.sluice.client.GroupDescription;
import io.sluice.client.GroupListing;
import io.sluice.client.LeaderElection;
import io.sluice.client.OffsetReset;
import io.sluice.client.PartitionLag;
import io.sluice.client.PartitionOffsets;
import io.sluice.client.PartitionReassignment;
import io.sluice.client.TopicConfig;
import io.sluice.client.TopicDescription;
import io.sluice.client.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link Admin} over the topics resource: {@code POST /topics}, {@code GET|DELETE /topics/{t}}, {@code GET /topics},
 * {@code GET /cluster}, {@code GET /topics/{t}/partitions/{p}/offsets} and the {@code /consumer-groups} routes
 * ({@link GroupAdminJson}), each sent to any reachable broker.
 * Stateless apart from the client's metadata cache, which it keeps current for topics it creates and deletes.
 */
final class AdminImpl implements Admin {
  private final Context context;
  private final MetadataCache metadata;
  private final TransactionsAdmin transactions;

  AdminImpl(ClientImpl client) {
    this.context = client.context();
    this.metadata = client.metadata();
    this.transactions = new TransactionsAdmin(metadata);
  }

  @Override
  public Uni<TopicDescription> createTopic(String name, int partitions, int replicationFactor,
      Map<String, String> configs) {
    JsonObject body = new JsonObject().put("name", name).put("partitions", partitions)
        .put("replication_factor", replicationFactor).put("configs", new JsonObject(Map.copyOf(configs)));
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, "/topics", body)
        .compose(r -> metadata.refresh(name)));
  }

  @Override
  public Uni<Void> deleteTopic(String name) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.DELETE, "/topics/" + MetadataCache.encode(name),
        null).map(r -> {
          metadata.forget(name);
          return null;
        }));
  }

  @Override
  public Uni<TopicDescription> describeTopic(String name) {
    return Unis.onContext(context, () -> metadata.refresh(name));
  }

  @Override
  public Uni<List<TopicConfig>> describeTopicConfigs(String topic) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/topics/" + MetadataCache.encode(topic)
        + "/configs", null).map(r -> TopicConfigsJson.configs(r.json())));
  }

  @Override
  public Uni<List<TopicConfig>> alterTopicConfigs(String topic, List<ConfigChange> changes, boolean validateOnly) {
    JsonObject body = TopicConfigsJson.alteration(changes, validateOnly);
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, "/topics/" + MetadataCache.encode(topic)
        + "/configs:alter", body).map(r -> TopicConfigsJson.configs(r.json())));
  }

  @Override
  public Uni<List<String>> listTopics() {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/topics", null).map(r -> {
      JsonArray names = r.body().toJsonArray();
      List<String> list = new ArrayList<>();
      names.forEach(n -> list.add((String) n));
      return list;
    }));
  }

  @Override
  public Uni<Void> upsertUserScramCredential(String user, String mechanism, int iterations, String password) {
    JsonObject body = new JsonObject().put("password", password).put("iterations", iterations);
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.PUT, credentialPath(user, mechanism), body)
        .mapEmpty());
  }

  @Override
  public Uni<Void> deleteUserScramCredential(String user, String mechanism) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.DELETE, credentialPath(user, mechanism), null)
        .mapEmpty());
  }

  @Override
  public Uni<Map<String, Map<String, Integer>>> describeUserScramCredentials() {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/users", null).map(r -> {
      Map<String, Map<String, Integer>> users = new java.util.TreeMap<>();
      for (Object u : r.json().getJsonArray("users", new JsonArray())) {
        JsonObject user = (JsonObject) u;
        Map<String, Integer> mechanisms = new java.util.TreeMap<>();
        for (Object c : user.getJsonArray("credentials", new JsonArray())) {
          mechanisms.put(((JsonObject) c).getString("mechanism"), ((JsonObject) c).getInteger("iterations"));
        }
        users.put(user.getString("user"), mechanisms);
      }
      return users;
    }));
  }

  private static String credentialPath(String user, String mechanism) {
    return "/users/" + MetadataCache.encode(user) + "/credentials/" + MetadataCache.encode(mechanism);
  }

  @Override
  public Uni<ClusterDescription> describeCluster() {
    return Unis.onContext(context, () -> metadata.refreshCluster().map(v -> metadata.cluster()));
  }

  @Override
  public Uni<PartitionOffsets> offsets(String topic, int partition) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/topics/" + MetadataCache.encode(topic)
        + "/partitions/" + partition + "/offsets", null).map(r -> {
          JsonObject json = r.json();
          return new PartitionOffsets(json.getLong("beginning_offset"), json.getLong("end_offset"));
        }));
  }

  @Override
  public Uni<Long> deleteRecords(String topic, int partition, long offset) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.DELETE, "/topics/" + MetadataCache.encode(topic)
        + "/partitions/" + partition + "/records?offset=" + offset, null)
        .map(r -> r.json().getLong("low_watermark")));
  }

  @Override
  public Uni<PartitionReassignment> alterPartitionReassignment(TopicPartition partition, List<Integer> target) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.PUT, reassignmentPath(partition),
        new JsonObject().put("replicas", new JsonArray(List.copyOf(target)))).map(r -> reassignment(r.json())));
  }

  @Override
  public Uni<PartitionReassignment> cancelPartitionReassignment(TopicPartition partition) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.DELETE, reassignmentPath(partition), null)
        .map(r -> reassignment(r.json())));
  }

  @Override
  public Uni<List<PartitionReassignment>> listPartitionReassignments() {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/reassignments", null)
        .map(r -> r.json().getJsonArray("reassignments").stream().map(o -> reassignment((JsonObject) o)).toList()));
  }

  @Override
  public Uni<List<LeaderElection>> electLeaders(LeaderElection.Type type, List<TopicPartition> partitions) {
    JsonObject body = new JsonObject().put("type", type.name());
    if (!partitions.isEmpty()) {
      JsonArray list = new JsonArray();
      partitions.forEach(tp -> list.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())));
      body.put("partitions", list);
    }
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, "/leader-election", body)
        .map(r -> r.json().getJsonArray("results").stream().map(JsonObject.class::cast).map(e -> new LeaderElection(
            new TopicPartition(e.getString("topic"), e.getInteger("partition")), e.getInteger("leader"),
            e.getInteger("error_code"), e.getString("message"))).toList()));
  }

  private static String reassignmentPath(TopicPartition tp) {
    return "/topics/" + MetadataCache.encode(tp.topic()) + "/partitions/" + tp.partition() + "/reassignment";
  }

  private static PartitionReassignment reassignment(JsonObject json) {
    return new PartitionReassignment(new TopicPartition(json.getString("topic"), json.getInteger("partition")),
        ints(json.getJsonArray("replicas")), ints(json.getJsonArray("adding_replicas")),
        ints(json.getJsonArray("removing_replicas")));
  }

  private static List<Integer> ints(JsonArray array) {
    return array.stream().map(o -> ((Number) o).intValue()).toList();
  }

  @Override
  public Uni<List<GroupListing>> listGroups() {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/consumer-groups", null)
        .map(r -> GroupAdminJson.listings(r.body().toJsonArray())));
  }

  @Override
  public Uni<List<io.sluice.client.TransactionDescription>> listTransactions(
      io.sluice.client.ListTransactionsOptions options) {
    return Unis.onContext(context, () -> transactions.list(options));
  }

  @Override
  public Uni<io.sluice.client.TransactionDescription> describeTransaction(String transactionalId) {
    return Unis.onContext(context, () -> transactions.describe(transactionalId));
  }

  @Override
  public Uni<List<io.sluice.client.ProducerState>> describeProducers(String topic, int partition) {
    return Unis.onContext(context, () -> transactions.describeProducers(topic, partition));
  }

  @Override
  public Uni<Void> abortTransaction(io.sluice.client.AbortTransactionSpec spec) {
    return Unis.onContext(context, () -> transactions.abort(spec));
  }

  @Override
  public Uni<GroupDescription> describeGroup(String group) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, groupPath(group), null)
        .map(r -> GroupAdminJson.description(r.json())));
  }

  @Override
  public Uni<Void> removeMembersFromConsumerGroup(String group, List<String> groupInstanceIds) {
    List<String> ids = List.copyOf(groupInstanceIds);
    return Unis.onContext(context, () -> {
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> metadata.anyBroker(HttpMethod.DELETE, groupPath(group) + "/members/"
            + MetadataCache.encode(id), null).mapEmpty());
      }
      return chain;
    });
  }

  @Override
  public Uni<List<PartitionLag>> groupLags(String group) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, groupPath(group) + "/lags", null)
        .map(r -> GroupAdminJson.lags(r.body().toJsonArray())));
  }

  @Override
  public Uni<List<OffsetReset.Result>> resetGroupOffsets(String group, OffsetReset reset) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, groupPath(group) + "/offsets/reset",
        GroupAdminJson.resetRequest(reset)).map(r -> GroupAdminJson.resetResults(r.body().toJsonArray())));
  }

  @Override
  public Uni<Map<TopicPartition, Long>> deleteGroupOffsets(String group, List<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return Uni.createFrom().failure(new IllegalArgumentException("name at least one partition"));
    }
    return deleteOffsets(group, new JsonObject().put("partitions", GroupAdminJson.partitions(partitions)));
  }

  @Override
  public Uni<Map<TopicPartition, Long>> deleteAllGroupOffsets(String group) {
    return deleteOffsets(group, new JsonObject().put("all", true));
  }

  private Uni<Map<TopicPartition, Long>> deleteOffsets(String group, JsonObject body) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, groupPath(group) + "/offsets/delete",
        body).map(r -> GroupAdminJson.deletedOffsets(r.body().toJsonArray())));
  }

  @Override
  public Uni<Void> deleteGroup(String group) {
    return Unis.onContext(context, () -> deleteGroupNow(group));
  }

  @Override
  public Uni<List<GroupDeletion>> deleteGroups(List<String> groups) {
    List<String> names = List.copyOf(groups);
    return Unis.onContext(context, () -> {
      List<Future<Void>> each = names.stream().map(this::deleteGroupNow).toList();
      return Future.join(each).transform(ignored -> {
        List<GroupDeletion> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
          out.add(new GroupDeletion(names.get(i), each.get(i).cause()));
        }
        return Future.succeededFuture(out);
      });
    });
  }

  private Future<Void> deleteGroupNow(String group) {
    return metadata.anyBroker(HttpMethod.DELETE, groupPath(group), null).mapEmpty();
  }

  private static String groupPath(String group) {
    return "/consumer-groups/" + MetadataCache.encode(group);
  }

  @Override
  public Uni<Void> createAcls(List<io.sluice.client.AclBinding> bindings) {
    JsonArray data = new JsonArray();
    bindings.forEach(b -> data.add(new JsonObject().put("resource_type", b.resourceType())
        .put("resource_name", b.resourceName()).put("pattern_type", b.patternType()).put("principal", b.principal())
        .put("host", b.host()).put("operation", b.operation()).put("permission", b.permission())));
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, "/acls", new JsonObject().put("data",
        data)).mapEmpty());
  }

  @Override
  public Uni<List<io.sluice.client.AclBinding>> describeAcls(io.sluice.client.AclBindingFilter filter) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/acls" + query(filter), null)
        .map(r -> bindings(r.json())));
  }

  @Override
  public Uni<List<io.sluice.client.AclBinding>> deleteAcls(io.sluice.client.AclBindingFilter filter) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.DELETE, "/acls" + query(filter), null)
        .map(r -> bindings(r.json())));
  }

  private static String query(io.sluice.client.AclBindingFilter f) {
    StringBuilder q = new StringBuilder();
    String[][] params = {{"resource_type", f.resourceType() == null ? "ANY" : f.resourceType()},
        {"resource_name", f.resourceName()}, {"pattern_type", f.patternType()}, {"principal", f.principal()},
        {"host", f.host()}, {"operation", f.operation()}, {"permission", f.permission()}};
    for (String[] p : params) {
      if (p[1] != null) {
        q.append(q.length() == 0 ? '?' : '&').append(p[0]).append('=')
            .append(java.net.URLEncoder.encode(p[1], java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return q.toString();
  }

  private static List<io.sluice.client.AclBinding> bindings(JsonObject answer) {
    List<io.sluice.client.AclBinding> out = new ArrayList<>();
    for (Object o : answer.getJsonArray("data")) {
      JsonObject b = (JsonObject) o;
      out.add(new io.sluice.client.AclBinding(b.getString("resource_type"), b.getString("resource_name"),
          b.getString("pattern_type"), b.getString("principal"), b.getString("host"), b.getString("operation"),
          b.getString("permission")));
    }
    return out;
  }

  @Override
  public Uni<List<ClientQuotas.Entry>> describeClientQuotas(ClientQuotas.Filter filter) {
    StringBuilder query = new StringBuilder("/client-quotas?strict=").append(filter.strict());
    if (filter.user() != null) {
      query.append("&user=").append(MetadataCache.encode(filter.user()));
    }
    if (filter.clientId() != null) {
      query.append("&client-id=").append(MetadataCache.encode(filter.clientId()));
    }
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, query.toString(), null).map(r -> {
      List<ClientQuotas.Entry> entries = new ArrayList<>();
      r.json().getJsonArray("entries").forEach(o -> {
        JsonObject e = (JsonObject) o;
        Map<String, String> entity = new java.util.LinkedHashMap<>();
        e.getJsonObject("entity").forEach(p -> entity.put(p.getKey(), (String) p.getValue()));
        Map<String, Double> quotas = new java.util.LinkedHashMap<>();
        e.getJsonObject("quotas").forEach(p -> quotas.put(p.getKey(), ((Number) p.getValue()).doubleValue()));
        entries.add(new ClientQuotas.Entry(entity, quotas));
      });
      return entries;
    }));
  }

  @Override
  public Uni<Void> alterClientQuotas(List<ClientQuotas.Alteration> alterations, boolean validateOnly) {
    JsonArray entries = new JsonArray();
    for (ClientQuotas.Alteration a : alterations) {
      JsonArray ops = new JsonArray();
      a.changes().forEach((k, v) -> ops.add(v == null ? new JsonObject().put("key", k).put("remove", true)
          : new JsonObject().put("key", k).put("value", v)));
      entries.add(new JsonObject().put("entity", new JsonObject(new java.util.HashMap<>(a.entity()))).put("ops", ops));
    }
    JsonObject body = new JsonObject().put("entries", entries).put("validate_only", validateOnly);
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.POST, "/client-quotas:alter", body)
        .map(r -> null));
  }
}
