package io.sluice.streams;

import io.sluice.api.RequestContext;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Partitioner;
import io.sluice.streams.state.StoreState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * Interactive queries: {@code GET /streams/{name}/stores/{store}/keys/{key}} and the scan {@code .../keys}, answered
 * by any broker. The key's task is the partition the key hashes to (Kafka's partitioner) in the topic the store's
 * tasks read (the repartition topic, or the input); the broker that holds the task's ownership znode answers, and
 * any other forwards the query to it through {@link BrokerRpc}. A scan asks every task and merges by key bytes.
 */
final class StoreQueryService implements StoreQueries {
  private static final long TIMEOUT_MS = 10_000;

  private final StreamsService service;
  private final BrokerRpc rpc;
  private final int brokerId;

  StoreQueryService(StreamsService service, BrokerRpc rpc, int brokerId) {
    this.service = service;
    this.rpc = rpc;
    this.brokerId = brokerId;
  }

  /** Answers for a task this broker runs. */
  @Override
  public Future<JsonObject> query(String stream, String task, JsonObject request) {
    StreamTask t = service.task(stream + "/" + task);
    StoreState st = t == null ? null : t.store(request.getString("store"));
    if (st == null) {
      return Future.failedFuture(new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The task " + task + " of stream '"
          + stream + "' is not running on broker " + brokerId + " (it is moving or restoring its store); retry"));
    }
    StreamDefinition d = t.definition();
    return service.blocking(() -> {
      StoreReader reader = new StoreReader(d, st, request.getLong("max_bytes", service.maxAnswerBytes()));
      if (request.getBoolean("scan", false)) {
        return new JsonObject().put("entries", reader.scan(StoreReader.bytes(request, "from_key"),
            StoreReader.bytes(request, "to_key"), StoreReader.bytes(request, "prefix"), request.getInteger("limit")));
      }
      JsonObject found = reader.key(StoreReader.bytes(request, "key"), request.getLong("from"),
          request.getLong("to"));
      return found == null ? new JsonObject() : found;
    });
  }

  /** One key: its value or windows, or a 404. */
  Future<JsonObject> key(RequestContext caller, String stream, String store, String key, long from, long to) {
    return target(caller, stream, store).compose(t -> {
      byte[] keyBytes = keyBytes(t.definition(), key);
      int p = Partitioner.partitionForKey(keyBytes, t.partitions());
      JsonObject req = new JsonObject().put("store", store).put("key", Base64.getEncoder().encodeToString(keyBytes))
          .put("from", from).put("to", to);
      return ask(stream, t.topic() + "-" + p, req).map(found -> {
        if (found.isEmpty()) {
          throw new SluiceException(ErrorCode.NOT_FOUND, "Store '" + store + "' of stream '" + stream
              + "' has nothing for key " + key + (t.definition().aggregate() == null
              || t.definition().aggregate().window() == null ? ""
              : " in windows starting from " + from + " to " + to));
        }
        return found;
      });
    });
  }

  /** A scan of every task's store, merged in key-byte order, at most {@code limit} keys. */
  Future<JsonObject> scan(RequestContext caller, String stream, String store, String fromKey, String toKey,
      String prefix, int limit) {
    return target(caller, stream, store).compose(t -> {
      // Each partition's part gets its share of the bound (at least 64 KiB): the parts arrive here together.
      JsonObject req = new JsonObject().put("store", store).put("scan", true).put("limit", limit)
          .put("max_bytes", Math.max(64 * 1024, service.maxAnswerBytes() / t.partitions()));
      putKey(req, "from_key", t.definition(), fromKey);
      putKey(req, "to_key", t.definition(), toKey);
      if (prefix != null) {
        byte[] b = keyBytes(t.definition(), prefix);
        if (t.definition().keyFormat() == Format.JSON && b.length > 1 && b[b.length - 1] == '"') {
          b = java.util.Arrays.copyOf(b, b.length - 1); // a JSON string key's prefix: without the closing quote
        }
        req.put("prefix", Base64.getEncoder().encodeToString(b));
      }
      List<Future<JsonObject>> parts = new ArrayList<>();
      for (int p = 0; p < t.partitions(); p++) {
        parts.add(ask(stream, t.topic() + "-" + p, req));
      }
      return Future.all(parts).map(all -> {
        List<JsonObject> entries = new ArrayList<>();
        parts.forEach(f -> f.result().getJsonArray("entries").forEach(e -> entries.add((JsonObject) e)));
        entries.sort(Comparator.comparing(e -> e.getString("order")));
        JsonArray out = new JsonArray();
        for (JsonObject e : entries.subList(0, Math.min(limit, entries.size()))) {
          e.remove("order");
          out.add(e);
        }
        return new JsonObject().put("entries", out);
      });
    });
  }

  private static void putKey(JsonObject req, String field, StreamDefinition d, String key) {
    if (key != null) {
      req.put(field, Base64.getEncoder().encodeToString(keyBytes(d, key)));
    }
  }

  private record Target(StreamDefinition definition, String topic, int partitions) {
  }

  private Future<Target> target(RequestContext caller, String stream, String store) {
    return StreamAccess.checked(service, caller, stream, TO_QUERY, s -> service.blocking(() -> service.compile(s))
            .compose(d -> mayRead(caller, d)))
        .compose(s -> service.blocking(() -> service.compile(s))).compose(d -> {
      if (d.store() == null || !d.store().equals(store)) {
        throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + stream + "' has no store '" + store + "'"
            + (d.store() == null ? "" : "; its store is '" + d.store() + "'"));
      }
      String topic = d.repartitionTopic() != null ? d.repartitionTopic() : d.inputs().get(0);
      return service.cluster().describeTopic(service.caller(), topic).map(md -> new Target(d, topic,
          md.partitionCount()));
    });
  }

  private static final String TO_QUERY = "query the stores of stream {} (Read is needed on every topic it reads from)";

  /** A store holds what the stream computed from its source topics: Read on each ({@link StreamAccess}). */
  private Future<Void> mayRead(RequestContext caller, StreamDefinition d) {
    return StreamAccess.mayRead(service.policy(), caller, d);
  }

  /** Asks the broker running the task: this one directly, another through BrokerRpc. */
  private Future<JsonObject> ask(String stream, String task, JsonObject req) {
    return service.blocking(() -> service.store().owner(stream, task)).compose(owner -> {
      if (owner < 0) {
        return Future.failedFuture(new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "No broker runs task " + task
            + " of stream '" + stream + "' now (it is starting or moving); retry"));
      }
      if (owner == brokerId) {
        return query(stream, task, req);
      }
      return rpc.call(StoreQueries.address(owner), StoreQueries.class, TIMEOUT_MS,
          q -> q.query(stream, task, req));
    });
  }

  /**
   * The key as the stream's key format writes it: the text for string; for json the JSON text, or a string when it
   * is not JSON ({@code a} is the key {@code "a"}); base64 for bytes.
   */
  static byte[] keyBytes(StreamDefinition d, String key) {
    try {
      switch (d.keyFormat()) {
        case BYTES:
          return Base64.getDecoder().decode(key);
        case JSON:
          Object json;
          try {
            json = io.vertx.core.json.Json.decodeValue(key);
          } catch (io.vertx.core.json.DecodeException notJson) {
            json = key;
          }
          return d.keyFormat().encode("key", Format.toCel(json));
        default:
          return key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
    } catch (IllegalArgumentException | io.vertx.core.json.DecodeException | ProcessingException e) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "The key '" + key + "' is not a " + d.keyFormat()
          .wireName() + " key (string: the text; json: JSON text; bytes: base64): " + e.getMessage());
    }
  }
}
