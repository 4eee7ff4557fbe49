package io.sluice.client.impl;

import io.sluice.client.AbortTransactionSpec;
import io.sluice.client.ListTransactionsOptions;
import io.sluice.client.ProducerState;
import io.sluice.client.TopicPartition;
import io.sluice.client.TransactionDescription;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The Admin's transaction calls over {@code /transactions} and a partition's {@code producers} and
 * {@code abort-transaction} routes, each sent to any reachable broker (the broker routes to the coordinator or the
 * partition's leader). Runs on the client's context.
 */
final class TransactionsAdmin {
  private final MetadataCache metadata;

  TransactionsAdmin(MetadataCache metadata) {
    this.metadata = metadata;
  }

  Future<List<TransactionDescription>> list(ListTransactionsOptions options) {
    StringBuilder query = new StringBuilder();
    options.states().stream().sorted().forEach(s -> query.append("&state=").append(MetadataCache.encode(s)));
    options.producerIds().stream().sorted().forEach(id -> query.append("&producer_id=").append(id));
    if (options.durationMs() > 0) {
      query.append("&duration_ms=").append(options.durationMs());
    }
    String path = "/transactions" + (query.length() == 0 ? "" : "?" + query.substring(1));
    return metadata.anyBroker(HttpMethod.GET, path, null).map(r -> {
      List<TransactionDescription> out = new ArrayList<>();
      r.json().getJsonArray("transactions").forEach(o -> {
        JsonObject t = (JsonObject) o;
        out.add(new TransactionDescription(t.getString("transactional_id"), t.getInteger("coordinator_id", -1),
            t.getString("transaction_state"), t.getLong("producer_id"), -1, -1, -1, List.of()));
      });
      return out;
    });
  }

  Future<TransactionDescription> describe(String transactionalId) {
    return metadata.anyBroker(HttpMethod.GET, "/transactions/" + MetadataCache.encode(transactionalId), null)
        .map(r -> {
          JsonObject t = r.json();
          List<TopicPartition> parts = new ArrayList<>();
          t.getJsonArray("topics").forEach(o -> {
            JsonObject topic = (JsonObject) o;
            topic.getJsonArray("partitions").forEach(p -> parts.add(new TopicPartition(topic.getString("topic"),
                ((Number) p).intValue())));
          });
          return new TransactionDescription(t.getString("transactional_id"), t.getInteger("coordinator_id"),
              t.getString("transaction_state"), t.getLong("producer_id"), t.getInteger("producer_epoch"),
              t.getLong("transaction_timeout_ms"), t.getLong("transaction_start_time_ms"), parts);
        });
  }

  Future<List<ProducerState>> describeProducers(String topic, int partition) {
    return metadata.anyBroker(HttpMethod.GET, partitionPath(topic, partition) + "/producers", null).map(r -> {
      List<ProducerState> out = new ArrayList<>();
      r.json().getJsonArray("producers").forEach(o -> {
        JsonObject p = (JsonObject) o;
        out.add(new ProducerState(p.getLong("producer_id"), p.getInteger("producer_epoch"),
            p.getLong("last_sequence"), p.getLong("last_append_time_ms"), p.getLong("current_transaction_start_offset"),
            p.getInteger("coordinator_epoch", -1)));
      });
      return out;
    });
  }

  Future<Void> abort(AbortTransactionSpec spec) {
    JsonObject body = new JsonObject().put("producer_id", spec.producerId()).put("producer_epoch", spec.producerEpoch())
        .put("coordinator_epoch", spec.coordinatorEpoch());
    return metadata.anyBroker(HttpMethod.POST, partitionPath(spec.partition().topic(), spec.partition().partition())
        + "/abort-transaction", body).mapEmpty();
  }

  private static String partitionPath(String topic, int partition) {
    return "/topics/" + MetadataCache.encode(topic) + "/partitions/" + partition;
  }
}
