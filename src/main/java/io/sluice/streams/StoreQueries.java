package io.sluice.streams;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Interactive queries of a task's store, served by every broker for the tasks it runs and called through
 * {@code BrokerRpc} by the broker a query came to ({@link StoreQueryService}).
 */
public interface StoreQueries {
  /** The event-bus address of broker {@code brokerId}'s queries. */
  static String address(int brokerId) {
    return "sluice.streams.queries." + brokerId;
  }

  /**
   * Answers {@code request} ({"store", "key": base64 key bytes, "from", "to"} for one key, or {"store", "scan": true,
   * "from_key", "to_key", "prefix" (base64), "limit"}) from the store of task {@code task} of {@code stream}.
   */
  Future<JsonObject> query(String stream, String task, JsonObject request);
}
