package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.sluice.client.Admin;
import io.sluice.client.ClusterDescription;
import io.sluice.client.ConfigChange;
import io.sluice.client.GroupDeletion;
import io.sluice.client.GroupDescription;
import io.sluice.client.GroupListing;
import io.sluice.client.OffsetReset;
import io.sluice.client.PartitionLag;
import io.sluice.client.PartitionOffsets;
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

  AdminImpl(ClientImpl client) {
    this.context = client.context();
    this.metadata = client.metadata();
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
  public Uni<List<GroupListing>> listGroups() {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, "/consumer-groups", null)
        .map(r -> GroupAdminJson.listings(r.body().toJsonArray())));
  }

  @Override
  public Uni<GroupDescription> describeGroup(String group) {
    return Unis.onContext(context, () -> metadata.anyBroker(HttpMethod.GET, groupPath(group), null)
        .map(r -> GroupAdminJson.description(r.json())));
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
}
