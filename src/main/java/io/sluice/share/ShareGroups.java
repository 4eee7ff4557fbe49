package io.sluice.share;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.broker.rpc.Contexts;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.OffsetsTopic.Entry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The share groups (KIP-932) this broker keeps: each group's members with their subscriptions and sessions, and its
 * share-partitions ({@link SharePartition}), made on first use at the start {@code share.auto.offset.reset} names
 * (latest unless the group says earliest). Every member may read every partition of the topics it subscribes to
 * (KIP-932's simple assignor); a record is held by one member at a time.
 *
 * <p>Threads: all state lives on one context of its own; public methods hop there and complete on the caller's.
 * Log reads go through the broker service (to the partition's leader) and are decoded on the share worker pool
 * ({@link ShareReads}), never on the event loop.
 */
final class ShareGroups implements ShareGroupsApi {

  /** The configured limits and the session timeout bounds. */
  record Settings(SharePartition.Limits limits, long defaultSessionTimeoutMs, long minSessionTimeoutMs,
      long maxSessionTimeoutMs, int maxBytesPerPartition) {
  }

  /** A member's subscription and when it was last heard from. */
  static final class Member {
    final String id;
    final List<String> topics;
    final long sessionTimeoutMs;
    long lastSeenMs;

    Member(String id, List<String> topics, long sessionTimeoutMs, long nowMs) {
      this.id = id;
      this.topics = List.copyOf(topics);
      this.sessionTimeoutMs = sessionTimeoutMs;
      this.lastSeenMs = nowMs;
    }
  }

  /** One share group: its members by id, its share-partitions, and its configured start for new partitions. */
  static final class Group {
    final Map<String, Member> members = new LinkedHashMap<>();
    final Map<TopicPartition, SharePartition> partitions = new TreeMap<>(
        (a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition())
            : a.topic().compareTo(b.topic()));
    boolean earliest;
  }

  private final Context context;
  private final BrokerService cluster;
  private final ShareReads reads;
  private final ShareStateTopic state;
  private final int brokerId;
  private final Settings settings;
  private final LongSupplier clock;
  private final Map<String, Group> groups = new HashMap<>();
  /** The load of the groups from {@link ShareStateTopic}, null until this broker keeps them (again). */
  private Future<Void> loaded;
  /** Raised whenever the groups are dropped, so that a load begun before is discarded. */
  private long loads;

  ShareGroups(Context context, BrokerService cluster, ShareReads reads, ShareStateTopic state, int brokerId,
      Settings settings, LongSupplier clock) {
    this.context = context;
    this.cluster = cluster;
    this.reads = reads;
    this.state = state;
    this.brokerId = brokerId;
    this.settings = settings;
    this.clock = clock;
  }

  Settings settings() {
    return settings;
  }

  private <T> Future<T> onOwn(Supplier<Future<T>> work) {
    return Contexts.onCaller(Contexts.onContext(context, work));
  }

  /** {@link #onOwn}, once this broker keeps the share groups and has loaded them. */
  private <T> Future<T> served(Supplier<Future<T>> work) {
    return Contexts.onCaller(cluster.describeCluster(RequestContext.SELF)
        .compose(d -> Contexts.onContext(context, () -> ready(ShareRouting.keeper(d, brokerId))))
        .compose(v -> Contexts.onContext(context, work)));
  }

  /**
   * On the context: loads the groups from {@link ShareStateTopic} the first time this broker keeps them (and again
   * after it stopped keeping them, or after a failed write); fails NOT_COORDINATOR while another broker keeps them.
   */
  private Future<Void> ready(int keeper) {
    if (keeper != brokerId) {
      forget();
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + keeper
          + " keeps the share groups now, not broker " + brokerId + "; retry"));
    }
    if (loaded == null || loaded.failed()) {
      long attempt = ++loads;
      List<Entry> entries = new ArrayList<>();
      loaded = state.ensureCreated().compose(v -> state.load(brokerId, entries::add))
          .compose(v -> Contexts.onContext(context, () -> {
            if (attempt == loads) {
              groups.clear();
              entries.forEach(this::restore);
            }
            return attempt == loads ? Future.<Void>succeededFuture() : Future.failedFuture(new SluiceException(
                ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "The share groups are being loaded again; retry"));
          }));
    }
    return loaded;
  }

  /** Drops the groups kept in memory: another broker keeps them now, or a write failed (the topic is the truth). */
  private void forget() {
    if (loaded != null) {
      loads++;
      loaded = null;
      groups.clear();
    }
  }

  private void restore(Entry e) {
    JsonArray key = e.key();
    String group = key.getString(1);
    switch (key.getString(0)) {
      case "group" -> {
        if (e.value() == null) {
          groups.remove(group);
        } else {
          groups.computeIfAbsent(group, k -> new Group()).earliest = e.value().getBoolean("earliest", false);
        }
      }
      case "share" -> {
        TopicPartition tp = new TopicPartition(key.getString(2), key.getInteger(3));
        Group g = groups.computeIfAbsent(group, k -> new Group());
        if (e.value() == null) {
          g.partitions.remove(tp);
        } else {
          g.partitions.put(tp, SharePartition.restore(tp.toString(), ShareStateTopic.decode(e.value()),
              settings.limits()));
        }
      }
      default -> {
        // a keeper's load marker
      }
    }
  }

  /**
   * Writes {@code entries} to {@link ShareStateTopic} (acks=all); what is answered after this is durable. A failed
   * write drops the groups in memory, ahead of the topic now, so that the next call loads them from it.
   */
  private Future<Void> persist(List<Entry> entries) {
    return state.write(entries).recover(t -> Contexts.onContext(context, () -> {
      forget();
      return Future.failedFuture(new SluiceException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "Writing the share group"
          + " state failed (" + t.getMessage() + "); retry", t));
    }));
  }

  /** The snapshots of {@code group}'s share-partitions {@code tps}, as records of {@link ShareStateTopic}. */
  private List<Entry> snapshots(String group, Group g, java.util.Collection<TopicPartition> tps) {
    List<Entry> out = new ArrayList<>();
    for (TopicPartition tp : new java.util.LinkedHashSet<>(tps)) {
      SharePartition sp = g.partitions.get(tp);
      out.add(new Entry(ShareStateTopic.shareKey(group, tp),
          sp == null ? null : ShareStateTopic.encode(sp.snapshot())));
    }
    return out;
  }

  /**
   * Adds a member subscribed to {@code topics} (each must exist), returning its id. {@code sessionTimeoutMs} 0 takes
   * the default; {@code earliest} sets share.auto.offset.reset for partitions the group starts on later.
   */
  @Override
  public Future<String> join(String group, List<String> topics, long sessionTimeoutMs, Boolean earliest) {
    long session = sessionTimeoutMs == 0 ? settings.defaultSessionTimeoutMs() : sessionTimeoutMs;
    if (session < settings.minSessionTimeoutMs() || session > settings.maxSessionTimeoutMs()) {
      return Future.failedFuture(new SluiceException(ErrorCode.INVALID_SESSION_TIMEOUT, "session.timeout.ms "
          + session + " is outside [" + settings.minSessionTimeoutMs() + ", " + settings.maxSessionTimeoutMs()
          + "] (group.share.min/max.session.timeout.ms)"));
    }
    List<Future<TopicMetadata>> lookups = topics.stream()
        .map(t -> cluster.describeTopic(RequestContext.SELF, t)).toList();
    return Future.all(lookups).compose(ok -> served(() -> {
      Group g = groups.get(group);
      boolean changed = g == null || earliest != null && earliest != g.earliest;
      if (g == null) {
        g = new Group();
        groups.put(group, g);
      }
      if (earliest != null) {
        g.earliest = earliest;
      }
      String id = UUID.randomUUID().toString();
      g.members.put(id, new Member(id, topics, session, clock.getAsLong()));
      return !changed ? Future.succeededFuture(id) : persist(List.of(new Entry(
          ShareStateTopic.groupKey(group), new JsonObject().put("earliest", g.earliest)))).map(id);
    }));
  }

  /** Removes a member; the records it holds become available to the others at once. */
  @Override
  public Future<Void> leave(String group, String member) {
    return served(() -> {
      Group g = requireGroup(group);
      requireMember(group, g, member);
      drop(g, member);
      return Future.succeededFuture();
    });
  }

  /** Keeps a member's session alive without fetching. */
  @Override
  public Future<Void> heartbeat(String group, String member) {
    return served(() -> {
      requireMember(group, requireGroup(group), member).lastSeenMs = clock.getAsLong();
      return Future.succeededFuture();
    });
  }

  private void drop(Group g, String member) {
    g.members.remove(member);
    g.partitions.values().forEach(sp -> sp.releaseMember(member));
  }

  /** Drops every member whose session has passed (their records become available); run by a periodic sweep. */
  void expireSessions() {
    cluster.describeCluster(RequestContext.SELF).onSuccess(d -> context.runOnContext(v -> {
      if (ShareRouting.keeper(d, brokerId) != brokerId) {
        forget();
      }
    }));
    context.runOnContext(v -> {
      long now = clock.getAsLong();
      for (Group g : groups.values()) {
        List<String> expired = g.members.values().stream()
            .filter(m -> now - m.lastSeenMs >= m.sessionTimeoutMs).map(m -> m.id).toList();
        expired.forEach(id -> drop(g, id));
        g.partitions.values().forEach(sp -> sp.expireLocks(now));
      }
    });
  }

  Group requireGroup(String group) {
    Group g = groups.get(group);
    if (g == null) {
      throw new SluiceException(ErrorCode.GROUP_ID_NOT_FOUND, "No share group '" + group + "'");
    }
    return g;
  }

  static Member requireMember(String group, Group g, String member) {
    Member m = g.members.get(member);
    if (m == null) {
      throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Share group '" + group + "' has no member '" + member
          + "' (never joined, left, or its session expired: join again)");
    }
    return m;
  }

  /**
   * Hands {@code member} up to {@code maxRecords} records of its topics, each acquired for it under a lock; waits up
   * to {@code maxWaitMs} for one when none is available now.
   */
  @Override
  public Future<List<ShareRecord>> fetch(String group, String member, int maxRecords, long maxWaitMs) {
    return served(() -> {
      Member m = requireMember(group, requireGroup(group), member);
      m.lastSeenMs = clock.getAsLong();
      return partitionsOf(m.topics);
    }).compose(tps -> onOwn(() -> startPartitions(group, tps)))
        .compose(tps -> new ShareFetch(this, reads, group, member, tps, maxRecords, maxWaitMs).run())
        .compose(records -> records.isEmpty() ? Future.succeededFuture(records) : onOwn(() -> persist(
            snapshots(group, requireGroup(group), records.stream().map(ShareRecord::tp).toList())).map(records)));
  }

  private Future<List<TopicPartition>> partitionsOf(List<String> topics) {
    List<Future<TopicMetadata>> lookups = topics.stream()
        .map(t -> cluster.describeTopic(RequestContext.SELF, t)).toList();
    return Future.all(lookups).map(ok -> {
      List<TopicPartition> tps = new ArrayList<>();
      lookups.forEach(f -> f.result().partitions()
          .forEach(p -> tps.add(new TopicPartition(f.result().name(), p.partition()))));
      return tps;
    });
  }

  /** Makes the share-partitions the group does not have yet, at the log's start or end. */
  private Future<List<TopicPartition>> startPartitions(String group, List<TopicPartition> tps) {
    Group g = requireGroup(group);
    List<Future<?>> starts = new ArrayList<>();
    List<TopicPartition> started = new ArrayList<>();
    for (TopicPartition tp : tps) {
      if (!g.partitions.containsKey(tp)) {
        starts.add(cluster.offsets(RequestContext.SELF, tp).compose(range -> onOwn(() -> {
          g.partitions.computeIfAbsent(tp, k -> {
            started.add(tp);
            return new SharePartition(tp.toString(), g.earliest ? range.beginningOffset() : range.endOffset(),
                settings.limits());
          });
          return Future.succeededFuture();
        })));
      }
    }
    // A start at the log's end is written before anything is handed out: a new keeper must start there too, not at
    // the end the log has reached by then.
    return Future.all(starts).compose(ok -> onOwn(() -> persist(snapshots(group, g, started)))).map(tps);
  }

  /** Runs {@code work} on this service's context against the group's share-partitions, for {@link ShareFetch}. */
  <T> Future<T> withGroup(String group, java.util.function.Function<Group, T> work) {
    return onOwn(() -> Future.succeededFuture(work.apply(requireGroup(group))));
  }

  long nowMs() {
    return clock.getAsLong();
  }

  /**
   * Applies {@code member}'s acknowledgements in order; each answers null (applied) or the error that refused it
   * (INVALID_RECORD_STATE: not held by this member now), so one bad offset does not undo the others.
   */
  @Override
  public Future<List<AckOutcome>> acknowledge(String group, String member, List<Ack> acks) {
    return served(() -> {
      Group g = requireGroup(group);
      requireMember(group, g, member).lastSeenMs = clock.getAsLong();
      long now = clock.getAsLong();
      List<AckOutcome> results = new ArrayList<>();
      java.util.Set<TopicPartition> changed = new java.util.HashSet<>();
      for (Ack ack : acks) {
        SharePartition sp = g.partitions.get(ack.tp());
        try {
          if (sp == null) {
            throw new SluiceException(ErrorCode.INVALID_RECORD_STATE, "Share group '" + group + "' has delivered"
                + " nothing of " + ack.tp());
          }
          sp.expireLocks(now);
          sp.acknowledge(member, ack.offset(), ack.type());
          changed.add(ack.tp());
          results.add(null);
        } catch (SluiceException e) {
          results.add(new AckOutcome(e.errorCode(), e.getMessage()));
        }
      }
      // Answered once written: an ACCEPT answered is never delivered again, whichever broker keeps the group next.
      return persist(snapshots(group, g, changed)).map(results);
    });
  }

  /** The group's members and share-partitions, as {@code GET /share-groups/{group}} shows them. */
  @Override
  public Future<ShareGroupDescription> describe(String group) {
    return served(() -> {
      Group g = requireGroup(group);
      long now = clock.getAsLong();
      List<ShareGroupDescription.MemberView> members = g.members.values().stream()
          .map(m -> new ShareGroupDescription.MemberView(m.id, m.topics, m.sessionTimeoutMs)).toList();
      List<ShareGroupDescription.PartitionView> partitions = new ArrayList<>();
      g.partitions.forEach((tp, sp) -> {
        sp.expireLocks(now);
        Map<String, Integer> counts = new LinkedHashMap<>();
        sp.stateCounts().forEach((state, n) -> counts.put(state.name(), n));
        partitions.add(new ShareGroupDescription.PartitionView(tp, sp.startOffset(), sp.endOffset(), counts));
      });
      return Future.succeededFuture(new ShareGroupDescription(group, members.isEmpty() ? "Empty" : "Stable",
          members, partitions));
    });
  }

  @Override
  public Future<List<String>> list() {
    return served(() -> Future.succeededFuture(groups.keySet().stream().sorted().toList()));
  }

  /** Forgets an empty group (kafka-share-groups.sh --delete); NON_EMPTY_GROUP while it has members. */
  @Override
  public Future<Void> delete(String group) {
    return served(() -> {
      Group g = requireGroup(group);
      requireEmpty(group, g);
      groups.remove(group);
      List<Entry> tombstones = new ArrayList<>();
      g.partitions.keySet().forEach(tp -> tombstones.add(new Entry(
          ShareStateTopic.shareKey(group, tp), null)));
      tombstones.add(new Entry(ShareStateTopic.groupKey(group), null));
      return persist(tombstones);
    });
  }

  private static void requireEmpty(String group, Group g) {
    if (!g.members.isEmpty()) {
      throw new SluiceException(ErrorCode.NON_EMPTY_GROUP, "Share group '" + group + "' has " + g.members.size()
          + " member(s); it must be empty");
    }
  }

  /**
   * Moves the start of the group's share-partitions of {@code topic} (kafka-share-groups.sh --reset-offsets):
   * to the log's start ({@code to} "earliest"), its end ("latest") or {@code offset}; only while the group is empty.
   */
  @Override
  public Future<List<PartitionStart>> resetOffsets(String group, String topic, String to, long offset) {
    return served(() -> {
      requireEmpty(group, requireGroup(group));
      return partitionsOf(List.of(topic));
    }).compose(tps -> {
      List<Future<io.sluice.api.OffsetRange>> ranges = tps.stream()
          .map(tp -> cluster.offsets(RequestContext.SELF, tp)).toList();
      return Future.all(ranges).compose(ok -> onOwn(() -> {
        Group g = requireGroup(group);
        requireEmpty(group, g);
        List<PartitionStart> starts = new ArrayList<>();
        for (int i = 0; i < tps.size(); i++) {
          io.sluice.api.OffsetRange r = ranges.get(i).result();
          long start = switch (to) {
            case "earliest" -> r.beginningOffset();
            case "latest" -> r.endOffset();
            default -> Math.max(r.beginningOffset(), Math.min(offset, r.endOffset()));
          };
          g.partitions.computeIfAbsent(tps.get(i), tp -> new SharePartition(tp.toString(), start, settings.limits()))
              .resetTo(start);
          starts.add(new PartitionStart(tps.get(i), start));
        }
        return persist(snapshots(group, g, tps)).map(starts);
      }));
    });
  }
}
