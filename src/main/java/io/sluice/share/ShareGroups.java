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
  private final Supplier<Future<ShareStateTopic.Keeper>> keeper;
  private final Map<String, Group> groups = new HashMap<>();
  /** The load of the groups from {@link ShareStateTopic}, null until this broker keeps them (again). */
  private Future<Void> loaded;
  /** Who this broker was as it loaded them: its writes carry that leader epoch. */
  private ShareStateTopic.Keeper loadedAt;
  /**
   * Raised whenever the groups are dropped, so that a load begun before is discarded, and so that a call that began
   * on the dropped state does not write it ({@link #persist}).
   */
  private long loads;

  /**
   * {@code keeper} names the broker that keeps the share groups now and its leader epoch
   * ({@link ShareStateTopic#keeper}); a test gives a stale one, as a broker whose metadata lags would see.
   */
  ShareGroups(Context context, BrokerService cluster, ShareReads reads, ShareStateTopic state, int brokerId,
      Settings settings, LongSupplier clock, Supplier<Future<ShareStateTopic.Keeper>> keeper) {
    this.context = context;
    this.keeper = keeper;
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
    return Contexts.onCaller(keeper.get()
        .compose(k -> Contexts.onContext(context, () -> ready(k)))
        .compose(v -> Contexts.onContext(context, work)));
  }

  /**
   * On the context: loads the groups from {@link ShareStateTopic} the first time this broker keeps them (and again
   * at each new leader epoch, after it stopped keeping them, or after a failed write); fails NOT_COORDINATOR while
   * another broker keeps them.
   */
  private Future<Void> ready(ShareStateTopic.Keeper k) {
    if (k.broker() != brokerId) {
      forget();
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + k.broker()
          + " keeps the share groups now, not broker " + brokerId + "; retry"));
    }
    if (loaded != null && !loaded.failed() && loadedAt.leaderEpoch() == k.leaderEpoch()) {
      return loaded;
    }
    forget();
    long attempt = ++loads;
    List<Entry> entries = new ArrayList<>();
    loadedAt = k;
    loaded = state.load(k, entries::add).recover(ShareGroups::fencedAsNotCoordinator)
        .compose(v -> Contexts.onContext(context, () -> {
          if (attempt == loads) {
            groups.clear();
            entries.forEach(this::restore);
            long now = clock.getAsLong();
            groups.values().forEach(g -> g.partitions.values().forEach(sp -> {
              sp.releaseUnless(g.members::containsKey);
              sp.expireLocks(now);
            }));
          }
          return attempt == loads ? Future.<Void>succeededFuture() : Future.failedFuture(new SluiceException(
              ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "The share groups are being loaded again; retry"));
        }));
    return loaded;
  }

  /** A write refused as from a former leader of the state topic's partition: another broker keeps the groups. */
  private static <T> Future<T> fencedAsNotCoordinator(Throwable t) {
    ErrorCode code = t instanceof SluiceException e ? e.errorCode() : null;
    boolean fenced = code == ErrorCode.FENCED_LEADER_EPOCH || code == ErrorCode.NOT_LEADER_OR_FOLLOWER
        || code == ErrorCode.UNKNOWN_LEADER_EPOCH || code == ErrorCode.NOT_COORDINATOR;
    return Future.failedFuture(!fenced ? t : new SluiceException(ErrorCode.NOT_COORDINATOR, "This broker no longer"
        + " keeps the share groups (" + t.getMessage() + "); retry", t));
  }

  /** Drops the groups kept in memory: another broker keeps them now, or a write failed (the topic is the truth). */
  private void forget() {
    if (loaded != null) {
      loads++;
      loaded = null;
      loadedAt = null;
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
      case "member" -> {
        Group g = groups.computeIfAbsent(group, k -> new Group());
        String id = key.getString(2);
        if (e.value() == null) {
          g.members.remove(id);
        } else {
          // Its session starts again: it cannot have been heard from while no broker kept the groups.
          g.members.put(id, new Member(id, e.value().getJsonArray("topics").stream().map(String.class::cast)
              .toList(), e.value().getLong("session_timeout_ms"), clock.getAsLong()));
        }
      }
      default -> {
        // a keeper's load marker
      }
    }
  }

  /**
   * On the context: writes {@code entries} to {@link ShareStateTopic} (acks=all) at the leader epoch the groups were
   * loaded at; what is answered after this is durable. {@code token} is {@link #loads} when the call began: if the
   * groups were dropped since, nothing is written (the entries describe state that is gone). A failed write drops the
   * groups in memory, ahead of the topic now, so that the next call loads them from it; a write refused because
   * another broker leads the topic's partition now fails NOT_COORDINATOR.
   */
  private Future<Void> persist(long token, List<Entry> entries) {
    if (token != loads || loadedAt == null) {
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "The share groups were dropped"
          + " while this call ran (another broker keeps them, or a write failed); nothing was written; retry"));
    }
    return state.write(entries, loadedAt.leaderEpoch()).recover(t -> Contexts.onContext(context, () -> {
      if (token == loads) {
        forget();
      }
      return ShareGroups.<Void>fencedAsNotCoordinator(t).recover(t2 -> Future.failedFuture(t2 != t ? t2
          : new SluiceException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "Writing the share group state failed ("
              + t.getMessage() + "); retry", t)));
    }));
  }

  private Future<Void> persist(List<Entry> entries) {
    return persist(loads, entries);
  }

  private static Entry memberEntry(String group, Member m) {
    return new Entry(ShareStateTopic.memberKey(group, m.id), new JsonObject()
        .put("topics", new JsonArray(m.topics)).put("session_timeout_ms", m.sessionTimeoutMs));
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
      Member m = new Member(id, topics, session, clock.getAsLong());
      g.members.put(id, m);
      // The member is written too (KIP-932 keeps membership in the coordinator): a new keeper keeps it.
      List<Entry> entries = new ArrayList<>();
      if (changed) {
        entries.add(new Entry(ShareStateTopic.groupKey(group), new JsonObject().put("earliest", g.earliest)));
      }
      entries.add(memberEntry(group, m));
      return persist(entries).map(id);
    }));
  }

  /** Removes a member; the records it holds become available to the others at once. */
  @Override
  public Future<Void> leave(String group, String member) {
    return served(() -> {
      Group g = requireGroup(group);
      requireMember(group, g, member);
      return persist(drop(group, g, member));
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

  /**
   * Removes {@code member}, releasing its records; answers its tombstone to write (the snapshots need not be: a load
   * releases what a member it does not know holds).
   */
  private List<Entry> drop(String group, Group g, String member) {
    g.members.remove(member);
    g.partitions.values().forEach(sp -> sp.releaseMember(member));
    return List.of(new Entry(ShareStateTopic.memberKey(group, member), null));
  }

  /** Drops every member whose session has passed (their records become available); run by a periodic sweep. */
  void expireSessions() {
    context.runOnContext(v -> {
      // Only while serving: the look-up creates the state topic, which must wait for the first share-group call
      // (created at a lone broker's start, it would have one replica).
      ShareStateTopic.Keeper was = loadedAt;
      if (was != null) {
        keeper.get().onSuccess(k -> context.runOnContext(x -> {
          if (loadedAt == was && (k.broker() != brokerId || k.leaderEpoch() != was.leaderEpoch())) {
            forget();
          }
        }));
      }
    });
    context.runOnContext(v -> {
      long now = clock.getAsLong();
      List<Entry> gone = new ArrayList<>();
      groups.forEach((name, g) -> {
        List<String> expired = g.members.values().stream()
            .filter(m -> now - m.lastSeenMs >= m.sessionTimeoutMs).map(m -> m.id).toList();
        expired.forEach(id -> gone.addAll(drop(name, g, id)));
        g.partitions.values().forEach(sp -> sp.expireLocks(now));
      });
      // Unanswered: a member the write misses comes back with the next load, and its session expires there again.
      persist(gone).onFailure(t -> { });
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
    long[] token = new long[1];
    return served(() -> {
      Member m = requireMember(group, requireGroup(group), member);
      m.lastSeenMs = clock.getAsLong();
      token[0] = loads;
      return partitionsOf(m.topics);
    }).compose(tps -> onOwn(() -> startPartitions(token[0], group, tps)))
        .compose(tps -> new ShareFetch(this, reads, group, member, tps, maxRecords, maxWaitMs).run())
        .compose(records -> records.isEmpty() ? Future.succeededFuture(records) : onOwn(() -> {
          // Only what the state to be written says this member holds is handed out (a lock may have expired).
          Group g = requireGroup(group);
          List<ShareRecord> held = records.stream().filter(r -> {
            SharePartition sp = g.partitions.get(r.tp());
            return sp != null && sp.holds(member, r.record().offset());
          }).toList();
          return persist(token[0], snapshots(group, g, held.stream().map(ShareRecord::tp).toList())).map(held);
        }));
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
  private Future<List<TopicPartition>> startPartitions(long token, String group, List<TopicPartition> tps) {
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
    return Future.all(starts).compose(ok -> onOwn(() -> persist(token, snapshots(group, g, started)))).map(tps);
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
