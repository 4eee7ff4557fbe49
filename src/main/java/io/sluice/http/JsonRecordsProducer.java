package io.sluice.http;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.TopicMetadata;
import io.sluice.api.RequestContext;
import io.sluice.errors.ErrorCode;
import io.sluice.http.ErrorResponses.ApiError;
import io.sluice.http.ProduceRequest.OutgoingRecord;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Produces the records of one JSON produce request (HTTP {@code POST /topics/...} or a WebSocket produce frame),
 * the one place both paths share: partition choice, one batch per partition, and the outcome.
 *
 * <p>A record goes to the partition of the path, else its own {@code partition}, else the murmur2 partition of its
 * key, else the next partition round-robin. The records for one partition become one uncompressed batch, so record
 * i of that batch gets offset base + i; the batches of one request are produced concurrently. A partition whose
 * produce fails gives its records {@code error_code} and {@code error} (and a null offset) while the others
 * succeed. With acks=0 offsets are -1: the broker answers before it assigns them.
 *
 * <p>The outcome's status follows one rule ({@link Outcome#status()}): when no record of the request was written
 * it is the error's status (that of the first record's error, in request order), otherwise 200 with the failed
 * records' errors in their entries, as Kafka REST v2 answers. Not thread-safe: one instance per event loop or
 * per WebSocket.
 */
final class JsonRecordsProducer {
  private final BrokerService service;
  /** Round-robin position for records with neither key nor partition. */
  private int nextUnkeyed;

  JsonRecordsProducer(BrokerService service) {
    this.service = service;
  }

  /**
   * The outcome of a produce request.
   *
   * @param offsets one entry per record, in request order: {@code {"partition", "offset", "error_code", "error"}}
   * @param firstError the error of the first failed record, or null when every record was written
   * @param allFailed whether no record was written
   */
  record Outcome(JsonArray offsets, ApiError firstError, boolean allFailed) {
    /** 200, unless no record was written: then the status of the first record's error. */
    int status() {
      return allFailed ? firstError.code().httpStatus() : 200;
    }

    /**
     * {@code fields} plus {@code "offsets"}; when no record was written also {@code "error_code"} and
     * {@code "message"} (the first error), so the body is an error body that still carries every record's details.
     */
    JsonObject toJson(JsonObject fields) {
      JsonObject body = fields.put("offsets", offsets);
      if (allFailed) {
        body.put("error_code", firstError.code().code()).put("message", firstError.message());
      }
      return body;
    }
  }

  /**
   * Produces {@code records} to {@code topic}; fails only for a request-wide error (an unknown topic or partition,
   * a partition that contradicts the path's); per-partition failures are in the outcome.
   */
  Future<Outcome> produce(RequestContext caller, String topic, Integer pathPartition, List<OutgoingRecord> records,
      Acks acks, Function<Throwable, ApiError> toApiError) {
    return service.metadataForProduce(caller, topic)
        .map(metadata -> assign(metadata, pathPartition, records))
        .compose(partitionOf -> produceAll(caller, topic, records, partitionOf, acks, toApiError));
  }

  /** The partition of each record, by index; a partition the topic lacks fails the whole request. */
  private int[] assign(TopicMetadata metadata, Integer pathPartition, List<OutgoingRecord> records) {
    int partitions = metadata.partitionCount();
    int[] partitionOf = new int[records.size()];
    for (int i = 0; i < records.size(); i++) {
      OutgoingRecord r = records.get(i);
      if (pathPartition != null && r.partition() != null && !r.partition().equals(pathPartition)) {
        throw ErrorResponses.error(ErrorCode.INVALID_RECORD, "records[" + i + "].partition " + r.partition()
            + " contradicts partition " + pathPartition + " of the path");
      }
      int p = pathPartition != null ? pathPartition
          : r.partition() != null ? r.partition()
          : r.key() != null ? RecordCodec.partitionForKey(r.key(), partitions)
          : Math.floorMod(nextUnkeyed++, partitions);
      if (p >= partitions) {
        throw ErrorResponses.error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            "Topic '" + metadata.name() + "' has " + partitions + " partitions, there is no partition " + p);
      }
      partitionOf[i] = p;
    }
    return partitionOf;
  }

  private Future<Outcome> produceAll(RequestContext caller, String topic, List<OutgoingRecord> records, int[] partitionOf, Acks acks,
      Function<Throwable, ApiError> toApiError) {
    Map<Integer, List<Integer>> indexesByPartition = new LinkedHashMap<>();
    for (int i = 0; i < partitionOf.length; i++) {
      indexesByPartition.computeIfAbsent(partitionOf[i], p -> new ArrayList<>()).add(i);
    }
    JsonObject[] entries = new JsonObject[records.size()];
    ApiError[] errors = new ApiError[records.size()];
    List<Future<Void>> all = new ArrayList<>();
    indexesByPartition.forEach((partition, indexes) -> {
      List<OutgoingRecord> batch = new ArrayList<>(indexes.size());
      indexes.forEach(i -> batch.add(records.get(i)));
      all.add(service.produce(caller, new TopicPartition(topic, partition), RecordCodec.encode(batch), acks)
          .transform(ar -> {
            ApiError error = ar.failed() ? toApiError.apply(ar.cause()) : null;
            for (int j = 0; j < indexes.size(); j++) {
              int i = indexes.get(j);
              entries[i] = error == null ? success(partition, ar.result(), j) : failure(partition, error);
              errors[i] = error;
            }
            return Future.<Void>succeededFuture();
          }));
    });
    return Future.all(all).map(v -> outcome(entries, errors));
  }

  private static Outcome outcome(JsonObject[] entries, ApiError[] errors) {
    ApiError first = null;
    int failed = 0;
    for (ApiError e : errors) {
      if (e != null) {
        failed++;
        first = first == null ? e : first;
      }
    }
    return new Outcome(new JsonArray(List.of((Object[]) entries)), first, failed == errors.length);
  }

  private static JsonObject success(int partition, ProduceResult result, int indexInBatch) {
    boolean known = !result.batchBaseOffsets().isEmpty();
    JsonObject entry = new JsonObject().put("partition", partition)
        .put("offset", known ? result.batchBaseOffsets().get(0) + indexInBatch : -1)
        .putNull("error_code").putNull("error");
    return result.logAppendTimeMs() < 0 ? entry : entry.put("log_append_time_ms", result.logAppendTimeMs());
  }

  private static JsonObject failure(int partition, ApiError error) {
    return new JsonObject().put("partition", partition).putNull("offset")
        .put("error_code", error.code().code()).put("error", error.message());
  }
}
