package io.sluice.group;

import io.sluice.api.RequestContext;

import io.sluice.api.CommittedOffset;

import io.sluice.api.BrokerService;
import io.sluice.api.GroupDescription;
import io.sluice.api.GroupListing;
import io.sluice.api.OffsetRange;
import io.sluice.api.OffsetReset;
import io.sluice.api.PartitionLag;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Read-only views of groups (list, describe, lags) and the offset reset of a group without members. Results are
 * the contract's records ({@link io.sluice.api.GroupService}). All methods run on the coordinator context (through {@link GroupCoordinator#run}).
 */
public final class GroupAdmin {
  private final GroupCoordinator coordinator;
  private final BrokerService service;

  public GroupAdmin(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
    this.service = coordinator.service();
  }

  public Future<List<GroupListing>> listGroups() {
    List<GroupListing> out = new ArrayList<>();
    for (String id : coordinator.groupIds()) {
      Group g = coordinator.group(id);
      out.add(new GroupListing(id, g.state().displayName(), g.protocolType()));
    }
    return Future.succeededFuture(out);
  }

  public Future<GroupDescription> describe(String groupId) {
    if (!coordinator.groupIds().contains(groupId)) {
      throw notFound(groupId);
    }
    Group g = coordinator.group(groupId);
    List<GroupDescription.Member> members = new ArrayList<>();
    g.members().values().forEach(m -> members.add(new GroupDescription.Member(m.memberId(), m.clientId(),
        m.clientAddress(), m.assignment(), m.memberAssignment(), m.groupInstanceId())));
    return Future.succeededFuture(new GroupDescription(groupId, g.state().displayName(), g.generation(),
        g.protocolType(), g.protocol(), g.leaderId(), members));
  }

  /** Committed and assigned partitions, sorted, with the log end (null where it could not be read). */
  public Future<List<PartitionLag>> lags(String groupId) {
    if (!coordinator.groupIds().contains(groupId)) {
      throw notFound(groupId);
    }
    Map<TopicPartition, CommittedOffset> committed = coordinator.committed(groupId);
    Set<TopicPartition> partitions = new TreeSet<>(Assignments.ORDER);
    partitions.addAll(committed.keySet());
    coordinator.group(groupId).assignment().values().forEach(partitions::addAll);
    Map<TopicPartition, Future<OffsetRange>> ends = new LinkedHashMap<>();
    partitions.forEach(tp -> ends.put(tp, service.offsets(RequestContext.SELF, tp)));
    return Future.join(new ArrayList<>(ends.values())).transform(ignored -> {
      List<PartitionLag> out = new ArrayList<>();
      ends.forEach((tp, f) -> out.add(new PartitionLag(tp, committed.get(tp),
          f.succeeded() ? f.result().endOffset() : null)));
      return Future.succeededFuture(out);
    });
  }

  /**
   * Resets the committed offsets of a group that has no members ({@link OffsetReset}).
   *
   * "offset" is clamped into the partition's [beginning, end]; "timestamp" goes to the first record at or after it
   * (the end if none). Skipped and replayed counts compare with the current commit (the log beginning without
   * one). A dry run writes nothing.
   */
  public Future<List<OffsetReset.Outcome>> resetOffsets(String groupId, OffsetReset spec) {
    Group g = coordinator.group(groupId);
    if (!g.members().isEmpty()) {
      throw new SluiceException(ErrorCode.NON_EMPTY_GROUP, "Group '" + groupId + "' has " + g.members().size()
          + " active member(s); offsets can be reset only when it has none");
    }
    Map<TopicPartition, CommittedOffset> committed = coordinator.committed(groupId);
    return partitionsToReset(spec, committed).compose(tps -> {
      Map<TopicPartition, Future<long[]>> plans = new LinkedHashMap<>();
      tps.forEach(tp -> plans.put(tp, plan(tp, spec)));
      return Future.all(new ArrayList<>(plans.values())).compose(all -> {
        List<OffsetReset.Outcome> out = new ArrayList<>();
        Map<TopicPartition, Long> next = new LinkedHashMap<>();
        plans.forEach((tp, f) -> {
          long[] range = f.result();
          CommittedOffset c = committed.get(tp);
          long current = c != null ? c.offset() : range[0];
          long target = range[2];
          next.put(tp, target);
          out.add(new OffsetReset.Outcome(tp, c == null ? null : c.offset(), target, Math.max(0, target - current),
              Math.max(0, current - target)));
        });
        return spec.dryRun() ? Future.succeededFuture(out)
            : coordinator.commit(groupId, null, -1, next, "reset").map(out);
      });
    });
  }

  private Future<List<TopicPartition>> partitionsToReset(OffsetReset spec, Map<TopicPartition, CommittedOffset> c) {
    if (spec.partitions() != null) {
      return existing(spec.partitions());
    }
    if (spec.topics() == null) {
      return Future.succeededFuture(new ArrayList<>(c.keySet()));
    }
    List<TopicPartition> out = new ArrayList<>();
    List<Future<?>> described = new ArrayList<>();
    for (String t : spec.topics()) {
      described.add(service.describeTopic(RequestContext.SELF, t).onSuccess(m -> {
        for (int p = 0; p < m.partitionCount(); p++) {
          out.add(new TopicPartition(t, p));
        }
      }));
    }
    return Future.all(described).map(v -> {
      out.sort(Assignments.ORDER);
      return out;
    });
  }

  /** {@code tps} in order, or UNKNOWN_TOPIC_OR_PARTITION naming the first that does not exist. */
  private Future<List<TopicPartition>> existing(List<TopicPartition> tps) {
    List<Future<?>> checks = new ArrayList<>();
    for (TopicPartition tp : tps) {
      checks.add(service.describeTopic(RequestContext.SELF, tp.topic()).compose(m -> tp.partition() < m.partitionCount()
          ? Future.succeededFuture() : Future.failedFuture(new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          "Topic '" + tp.topic() + "' has " + m.partitionCount() + " partition(s); there is no partition "
          + tp.partition()))));
    }
    return Future.all(checks).map(v -> {
      List<TopicPartition> out = new ArrayList<>(new java.util.LinkedHashSet<>(tps));
      out.sort(Assignments.ORDER);
      return out;
    });
  }

  /** {beginning, end, target}. */
  private Future<long[]> plan(TopicPartition tp, OffsetReset spec) {
    return service.offsets(RequestContext.SELF, tp).compose(r -> {
      long b = r.beginningOffset();
      long e = r.endOffset();
      return switch (spec.to()) {
        case "earliest" -> Future.succeededFuture(new long[] {b, e, b});
        case "latest" -> Future.succeededFuture(new long[] {b, e, e});
        case "offset" -> Future.succeededFuture(new long[] {b, e, Math.max(b, Math.min(e, spec.offset()))});
        default -> service.offsetForTimestamp(RequestContext.SELF, tp, spec.timestampMs())
            .map(o -> new long[] {b, e, o.isPresent() ? Math.max(b, o.getAsLong()) : e});
      };
    });
  }

  private static SluiceException notFound(String groupId) {
    return new SluiceException(ErrorCode.GROUP_ID_NOT_FOUND, "Group '" + groupId + "' does not exist");
  }

  /**
   * Parses the REST API's reset request.
   *
   * <pre>
   * {"to": "earliest" | "latest" | "offset" | "timestamp", "offset": N, "timestamp": ms,
   *  "topics": ["t", ...] (default: the topics with commits) | "partitions": [{"topic", "partition"}, ...],
   *  "dry_run": false}
   * </pre>
   */
  public static final class ResetSpec {
    private static final Set<String> FIELDS = Set.of("to", "offset", "timestamp", "topics", "partitions", "dry_run");

    private ResetSpec() {
    }

    public static OffsetReset parse(JsonObject j) {
      for (String f : j.fieldNames()) {
        if (!FIELDS.contains(f)) {
          throw invalid("Unknown field '" + f + "'; known fields: " + new TreeSet<>(FIELDS));
        }
      }
      if (!(j.getValue("to") instanceof String to) || !Set.of("earliest", "latest", "offset", "timestamp").contains(to)) {
        throw invalid("'to' must be one of earliest, latest, offset, timestamp");
      }
      long offset = requireLong(j, "offset", to.equals("offset"));
      long timestamp = requireLong(j, "timestamp", to.equals("timestamp"));
      List<String> topics = topics(j.getValue("topics"));
      List<TopicPartition> partitions = partitions(j.getValue("partitions"));
      if (topics != null && partitions != null) {
        throw invalid("Give 'topics' or 'partitions', not both");
      }
      Object dry = j.getValue("dry_run", false);
      if (!(dry instanceof Boolean)) {
        throw invalid("'dry_run' must be true or false");
      }
      return new OffsetReset(to, offset, timestamp, topics, partitions, (Boolean) dry);
    }

    /** A request's {@code "topics"}: null when absent, else a non-empty array of names. */
    static List<String> topics(Object v) {
      if (v == null) {
        return null;
      }
      if (!(v instanceof JsonArray a) || a.isEmpty() || !a.stream().allMatch(x -> x instanceof String)) {
        throw invalid("'topics' must be a non-empty array of topic names");
      }
      return a.stream().map(String::valueOf).toList();
    }

    static List<TopicPartition> partitions(Object v) {
      if (v == null) {
        return null;
      }
      if (!(v instanceof JsonArray a) || a.isEmpty()) {
        throw invalid("'partitions' must be a non-empty array of {\"topic\", \"partition\"}");
      }
      List<TopicPartition> out = new ArrayList<>();
      for (int i = 0; i < a.size(); i++) {
        if (!(a.getValue(i) instanceof JsonObject o) || !(o.getValue("topic") instanceof String t)
            || !(o.getValue("partition") instanceof Integer p) || p < 0 || o.size() != 2) {
          throw invalid("partitions[" + i + "] must be {\"topic\": name, \"partition\": a non-negative integer}");
        }
        out.add(new TopicPartition(t, p));
      }
      return out;
    }

    private static long requireLong(JsonObject j, String field, boolean required) {
      Object v = j.getValue(field);
      if (v == null) {
        if (required) {
          throw invalid("'" + field + "' is required with \"to\": \"" + field + "\"");
        }
        return -1;
      }
      if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
        throw invalid("'" + field + "' must be a non-negative integer, got " + v);
      }
      return ((Number) v).longValue();
    }

    private static SluiceException invalid(String message) {
      return new SluiceException(ErrorCode.INVALID_REQUEST, message);
    }
  }
}
