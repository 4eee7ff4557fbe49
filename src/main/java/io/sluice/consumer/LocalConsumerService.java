package io.sluice.consumer;

import io.sluice.api.RequestContext;

import io.sluice.api.ConsumerService;
import io.sluice.api.ConsumedRecord;

import io.sluice.api.BrokerService;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.CommittedOffset;
import io.sluice.group.Group;
import io.sluice.group.GroupAdmin;
import io.sluice.group.OffsetDeletion;
import io.sluice.group.GroupCoordinator;
import io.sluice.api.GroupIds;
import io.sluice.api.InstanceMembership;
import io.sluice.api.MemberRead;
import io.sluice.api.GroupMembershipOperation;
import io.sluice.group.GroupListener;
import io.sluice.group.GroupState;
import io.sluice.group.LocalGroupService;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.OffsetCommit;
import io.sluice.api.OffsetReset;
import io.sluice.api.PolledBatches;
import io.sluice.group.Member;
import io.sluice.group.OffsetsTopic;
import io.sluice.api.Subscription;
import io.sluice.record.Record;
import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.TopicNames;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * {@link ConsumerService} for the groups this broker's {@link GroupCoordinator} coordinates: the instance registry
 * lives at the coordinator, on its context, so the instance's whole state sits beside its group's. Also the
 * coordinator's {@link GroupListener}: auto-commits before a rebalance, drops positions of lost partitions after
 * it, and expires idle instances.
 *
 * <p>Positions: a partition newly owned starts at the group's committed offset, else where
 * {@code auto.offset.reset} says; a position that fell below the log start (retention) is reset the same way.
 */
public final class LocalConsumerService implements ConsumerService, GroupListener {
  private static final System.Logger LOG = System.getLogger(LocalConsumerService.class.getName());

  private final GroupCoordinator coordinator;
  private final LocalGroupService groups;
  private final BrokerService service;
  /** Instances by group, then name; coordinator context only. */
  private final Map<String, Map<String, ConsumerInstance>> instances = new TreeMap<>();
  /** The policed broker service whose ACLs every poll's topics are checked against; null with the authorizer off. */
  private volatile BrokerService readPolicy;

  public LocalConsumerService(LocalGroupService groups) {
    this.groups = groups;
    this.coordinator = groups.coordinator();
    this.service = coordinator.service();
    coordinator.listener(this);
  }

  /**
   * Has every poll check that its caller may Read each topic it is about to read ({@code policy}'s
   * {@link BrokerService#authorize}: the cluster's ACLs), as Kafka checks every fetch. The check at subscription
   * alone let any other principal with the group's Read poll the instance and read topics it may not, and kept an
   * instance reading after its caller's Read was taken away. Call it before the broker serves.
   */
  public void readsCheckedBy(BrokerService policy) {
    this.readPolicy = policy;
  }

  /** The positions a poll reads from, once the caller may Read each of their topics (with the authorizer on). */
  private Future<Map<TopicPartition, Long>> positionsToRead(RequestContext caller, ConsumerInstance inst) {
    Future<Map<TopicPartition, Long>> positions = joinIfNeeded(inst).compose(v -> initPositions(inst));
    BrokerService policy = readPolicy;
    return policy == null ? positions : positions.compose(p -> mayRead(policy, caller, p));
  }

  /**
   * {@code positions} once {@code policy} lets the caller Read each of their topics; failed with the first refusal
   * otherwise. The policy answers from its decision cache at once: a topic's partitions usually come together, so
   * each run of them is asked once.
   */
  static Future<Map<TopicPartition, Long>> mayRead(BrokerService policy, RequestContext caller,
      Map<TopicPartition, Long> positions) {
    String last = null;
    for (TopicPartition tp : positions.keySet()) {
      if (tp.topic().equals(last)) {
        continue;
      }
      last = tp.topic();
      Future<Void> decided = policy.authorize(caller, ResourceType.TOPIC, last, AclOperation.READ);
      if (!decided.isComplete()) {
        return oneByOne(policy, caller, positions);
      }
      if (decided.failed()) {
        return Future.failedFuture(decided.cause());
      }
    }
    return Future.succeededFuture(positions);
  }

  /** {@link #mayRead} for a policy that decides later: each topic once, one after another. */
  private static Future<Map<TopicPartition, Long>> oneByOne(BrokerService policy, RequestContext caller,
      Map<TopicPartition, Long> positions) {
    return io.sluice.api.acl.TopicReads.check(policy, caller,
        new java.util.TreeSet<>(positions.keySet().stream().map(TopicPartition::topic).toList())).map(positions);
  }

  /** Starts the coordinator; instances are restored as their offsets topic partitions are loaded. */
  public Future<Void> start() {
    return coordinator.start();
  }

  @Override
  public void partitionLoaded(int partition, int partitions) {
    long now = coordinator.nowMs();
    coordinator.persistedInstances().forEach((group, byName) -> {
      if (OffsetsTopic.partitionFor(group, partitions) == partition) {
        Map<String, ConsumerInstance> restored = new TreeMap<>();
        byName.forEach((name, json) -> restore(group, name, json, now).ifPresent(inst -> restored.put(name, inst)));
        coordinator.existingGroup(group).ifPresent(g -> restored.values().forEach(inst -> restoreStaticPlace(g, inst)));
        instances.put(group, restored);
      }
    });
  }

  /**
   * A restored static instance whose {@code group.instance.id} the group record gives to a member of its own (its
   * client id is the instance's name) is that member again; one whose id it gives to another instance's member was
   * replaced by it, and is fenced (FENCED_INSTANCE_ID), as Kafka's coordinator fences the old member id it loads. So a
   * coordinator move neither forgets who was fenced nor costs the holder a new member id.
   */
  private static void restoreStaticPlace(Group g, ConsumerInstance inst) {
    String id = inst.config.groupInstanceId();
    if (id == null || inst.subscription == null) {
      return;
    }
    g.staticHolder(id).ifPresent(holder -> {
      if (holder.clientId().equals(inst.name())) {
        inst.memberId = holder.memberId();
      } else {
        inst.fenced = true;
      }
    });
  }

  /**
   * An instance as it was persisted, or none when it can no longer be: a pattern subscription saved before patterns
   * were RE2 (one with a lookaround, say) is not restored, so its client is told the instance is gone and makes a new
   * one, rather than having the broker stop restoring the group's others.
   */
  private static java.util.Optional<ConsumerInstance> restore(String group, String name, JsonObject json, long now) {
    try {
      return java.util.Optional.of(ConsumerInstance.fromJson(group, json, now));
    } catch (IllegalArgumentException e) {
      LOG.log(Level.WARNING, "Consumer instance " + name + " of group " + group + " not restored: its topic_pattern "
          + e.getMessage());
      return java.util.Optional.empty();
    }
  }

  @Override
  public void partitionUnloaded(int partition, int partitions) {
    instances.entrySet().removeIf(e -> {
      boolean moved = OffsetsTopic.partitionFor(e.getKey(), partitions) == partition;
      if (moved) {
        // In-flight operations on these instances finish against a dead copy; their writes fail (not the leader).
        e.getValue().values().forEach(inst -> inst.deleted = true);
      }
      return moved;
    });
  }

  public Future<Void> close() {
    return coordinator.close();
  }

  /** Creates the offsets topic unless it exists; see {@link GroupCoordinator#ensureOffsetsTopic}. */
  public Future<Integer> ensureOffsetsTopic() {
    return coordinator.ensureOffsetsTopic();
  }

  @Override
  public Future<String> create(RequestContext caller, String group, JsonObject settings) {
    try {
      GroupIds.validate(group);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return coordinator.run(group, () -> {
      ConsumerConfig cfg = ConsumerConfig.parse(settings, coordinator.config());
      Map<String, ConsumerInstance> byName = instances.computeIfAbsent(group, g -> new TreeMap<>());
      if (byName.containsKey(cfg.name())) {
        throw new SluiceException(ErrorCode.CONSUMER_ALREADY_EXISTS, "Consumer instance '" + cfg.name()
            + "' already exists in group '" + group + "'");
      }
      int hosted = instances.values().stream().mapToInt(Map::size).sum();
      if (hosted >= coordinator.config().maxInstances()) {
        throw new SluiceException(ErrorCode.CONSUMER_INSTANCE_LIMIT_EXCEEDED, "This broker hosts " + hosted
            + " consumer instances, its limit (consumer.max.instances); delete unused ones or let idle ones expire"
            + " (consumer.instance.timeout.ms) first");
      }
      ConsumerInstance inst = new ConsumerInstance(group, cfg, coordinator.nowMs());
      byName.put(cfg.name(), inst);
      return coordinator.persistInstance(group, cfg.name(), inst.toJson())
          .onFailure(t -> byName.remove(cfg.name())).map(cfg.name());
    });
  }

  @Override
  public Future<Void> delete(RequestContext caller, String group, String name, GroupMembershipOperation operation) {
    return withInstance(group, name, false, inst -> remove(inst, operation).map(v -> null));
  }

  @Override
  public Future<Void> removeStaticMember(RequestContext caller, String group, String groupInstanceId) {
    try {
      GroupIds.validate(group);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return coordinator.run(group, () -> {
      Group g = coordinator.group(group);
      if (g.removeStatic(groupInstanceId).isEmpty()) {
        throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "No member of group '" + group + "' holds"
            + " group.instance.id '" + groupInstanceId + "'");
      }
      coordinator.ensureRebalanced(g);
      return Future.succeededFuture();
    });
  }

  private Future<Void> remove(ConsumerInstance inst, GroupMembershipOperation operation) {
    Future<Void> committed = inst.config.autoCommitEnable() ? commitPositions(inst).recover(t -> {
      LOG.log(Level.DEBUG, "Final auto-commit of " + inst.name() + " failed: " + t);
      return Future.succeededFuture();
    }) : Future.succeededFuture();
    return committed.compose(v -> {
      inst.deleted = true;
      Map<String, ConsumerInstance> byName = instances.get(inst.group);
      if (byName != null) {
        byName.remove(inst.name());
      }
      if (stays(inst, operation)) {
        inst.memberId = null; // the member keeps its partitions until its session expires or its successor joins
      } else {
        leaveGroup(inst);
      }
      return coordinator.persistInstance(inst.group, inst.name(), null);
    });
  }

  /**
   * Whether the instance's member stays in the group when the instance goes: Kafka's close keeps a static member
   * (KIP-345: a bounce within the session timeout then causes no rebalance), and REMAIN_IN_GROUP any member.
   */
  private static boolean stays(ConsumerInstance inst, GroupMembershipOperation operation) {
    return operation == GroupMembershipOperation.REMAIN_IN_GROUP
        || operation == GroupMembershipOperation.DEFAULT && inst.config.groupInstanceId() != null;
  }

  private void leaveGroup(ConsumerInstance inst) {
    if (inst.memberId != null) {
      if (isMember(inst)) {
        groups.leaveNow(inst.group, inst.memberId);
      }
      inst.memberId = null;
      inst.generation = -1;
    }
    inst.positions.clear();
  }

  @Override
  public Future<Void> subscribe(RequestContext caller, String group, String name, Subscription subscription) {
    return withInstance(group, name, inst -> {
      if (inst.manual != null) {
        throw conflict("Instance '" + name + "' assigned partitions itself; unsubscribe (DELETE subscription) first");
      }
      if (subscription.topics() != null) {
        subscription.topics().forEach(TopicNames::validate);
      }
      requireRoom(inst, entries(subscription, inst.manual));
      // Taken only once persisted: a subscription the offsets topic refused (too large) stayed in memory, 38 MB of
      // heap per instance for a 12 MB body, while its client was told 413.
      return coordinator.persistInstance(group, name, inst.toJson(subscription, inst.manual)).compose(v -> {
        inst.subscription = subscription;
        // A member rejoins with its new subscription (the group rebalances if it changed); not yet one: its next poll.
        return inst.memberId != null && isMember(inst) ? joinIfNeeded(inst) : Future.succeededFuture();
      });
    });
  }

  /**
   * Refuses a subscription or assignment that would take the topics and partitions named by the instances this
   * broker hosts past {@code consumer.max.subscription.entries}: the instance limit alone left each instance free to
   * name as many as its persisted record holds (about 1 MB, 1.4 MB of heap), 10,000 times. Two changes persisting
   * at once may both pass, by at most one record each.
   */
  private void requireRoom(ConsumerInstance changed, int entries) {
    long others = 0;
    for (Map<String, ConsumerInstance> byName : instances.values()) {
      for (ConsumerInstance inst : byName.values()) {
        others += inst == changed ? 0 : entries(inst.subscription, inst.manual);
      }
    }
    int limit = coordinator.config().maxSubscriptionEntries();
    if (others + entries > limit) {
      throw new SluiceException(ErrorCode.CONSUMER_SUBSCRIPTION_LIMIT_EXCEEDED, "The other consumer instances of"
          + " this broker name " + others + " topics and partitions in their subscriptions and assignments; this"
          + " one would name " + entries + ", past the limit of " + limit + " (consumer.max.subscription.entries);"
          + " delete unused instances or let idle ones expire (consumer.instance.timeout.ms) first");
    }
  }

  /** What a subscription and manual assignment name: each topic and partition, a pattern as one. */
  private static int entries(Subscription subscription, List<TopicPartition> manual) {
    int n = subscription == null ? 0 : subscription.topics() == null ? 1 : subscription.topics().size();
    return n + (manual == null ? 0 : manual.size());
  }

  @Override
  public Future<JsonObject> config(RequestContext caller, String group, String name) {
    // Not behind the instance's queue: a long poll parked there would hold the answer back.
    return coordinator.run(group, () -> {
      ConsumerInstance inst = instances.getOrDefault(group, Map.of()).get(name);
      if (inst == null || inst.deleted) {
        throw new SluiceException(ErrorCode.CONSUMER_INSTANCE_NOT_FOUND, "Consumer instance '" + name
            + "' not found in group '" + group + "'");
      }
      return Future.succeededFuture(inst.config.toJson());
    });
  }

  @Override
  public Future<Subscription> subscription(RequestContext caller, String group, String name) {
    return withInstance(group, name, inst -> Future.succeededFuture(inst.subscription));
  }

  @Override
  public Future<Void> unsubscribe(RequestContext caller, String group, String name) {
    return withInstance(group, name, inst -> {
      leaveGroup(inst);
      inst.subscription = null;
      inst.manual = null;
      return coordinator.persistInstance(group, name, inst.toJson());
    });
  }

  @Override
  public Future<Void> assign(RequestContext caller, String group, String name, List<TopicPartition> partitions) {
    return withInstance(group, name, inst -> {
      if (inst.subscription != null) {
        throw conflict("Instance '" + name + "' is subscribed; unsubscribe (DELETE subscription) first");
      }
      partitions.forEach(tp -> TopicNames.validate(tp.topic()));
      List<TopicPartition> manual = List.copyOf(partitions);
      requireRoom(inst, entries(inst.subscription, manual));
      // Taken only once persisted, as a subscription.
      return coordinator.persistInstance(group, name, inst.toJson(inst.subscription, manual)).map(v -> {
        inst.manual = manual;
        inst.positions.keySet().retainAll(new HashSet<>(manual));
        return null;
      });
    });
  }

  @Override
  public Future<List<TopicPartition>> assignment(RequestContext caller, String group, String name) {
    return membership(caller, group, name).map(InstanceMembership::partitions);
  }

  @Override
  public Future<InstanceMembership> membership(RequestContext caller, String group, String name) {
    return withInstance(group, name, inst -> (mustRejoin(inst) ? joinIfNeeded(inst) : Future.<Void>succeededFuture())
        .map(v -> membershipOf(inst)));
  }

  /**
   * Whether a membership read joins first: a restored instance not yet in the group, or a member the group moved on
   * without (preparing a rebalance, or at a generation it has not joined). An evicted member does not: it owns
   * nothing until its next poll joins it again, as Kafka's consumer rejoins at its next poll.
   */
  private boolean mustRejoin(ConsumerInstance inst) {
    if (inst.subscription == null) {
      return false;
    }
    if (inst.memberId == null) {
      return inst.restored;
    }
    Group g = coordinator.group(inst.group);
    return isMember(inst) && (inst.generation != g.generation() || g.state() == GroupState.PREPARING_REBALANCE);
  }

  /**
   * What the instance's client names with a fenced commit; outside the group protocol no member and -1. The group's
   * generation, not the one the instance last polled in: the partitions are the member's in the group now, and the
   * generation is the one they belong to (a rebalance since the last poll changed both).
   */
  private InstanceMembership membershipOf(ConsumerInstance inst) {
    boolean member = inst.subscription != null && inst.memberId != null && isMember(inst);
    int generation = member ? coordinator.group(inst.group).generation() : -1;
    return new InstanceMembership(member ? inst.memberId : null, generation, owned(inst));
  }

  /** The partitions the instance owns now, sorted. */
  private List<TopicPartition> owned(ConsumerInstance inst) {
    if (inst.manual != null) {
      return inst.manual;
    }
    if (inst.memberId == null) {
      return List.of();
    }
    return coordinator.group(inst.group).member(inst.memberId).map(Member::assignment).orElse(List.of());
  }

  /**
   * {@link #owned} for membership tests: an instance may own tens of thousands of partitions, and a list's
   * {@code contains} per partition of a request of as many held the coordinator's event loop for seconds.
   */
  private Set<TopicPartition> ownedSet(ConsumerInstance inst) {
    return new HashSet<>(owned(inst));
  }

  @Override
  public Future<List<ConsumedRecord>> poll(RequestContext caller, String group, String name, long timeoutMs, int maxBytes, int maxRecords) {
    return withInstance(group, name, inst -> pollRecords(caller, inst, timeoutMs, maxBytes, maxRecords));
  }

  @Override
  public Future<MemberRead<List<ConsumedRecord>>> pollAsMember(RequestContext caller, String group, String name,
      long timeoutMs, int maxBytes, int maxRecords) {
    return withInstance(group, name, inst -> pollRecords(caller, inst, timeoutMs, maxBytes, maxRecords)
        .map(read -> new MemberRead<>(read, membershipOf(inst))));
  }

  private Future<List<ConsumedRecord>> pollRecords(RequestContext caller, ConsumerInstance inst, long timeoutMs,
      int maxBytes, int maxRecords) {
    maybeAutoCommit(inst);
    long wait = timeoutMs < 0 ? inst.config.requestTimeoutMs() : timeoutMs;
    return positionsToRead(caller, inst).compose(positions -> {
      int generation = inst.generation;
      return PartitionPoller.poll(service, coordinator.workers(), new PartitionPoller.Request(positions, wait,
          maxBytes, inst.config.fetchMinBytes(), maxRecords, inst.config.clientRack(), inst.config.readCommitted()))
          .compose(result -> accept(inst, generation, result));
    });
  }

  @Override
  public Future<List<PolledBatches>> pollBatches(RequestContext caller, String group, String name, long timeoutMs,
      int maxBytes) {
    return withInstance(group, name, inst -> pollBatches(caller, inst, timeoutMs, maxBytes));
  }

  @Override
  public Future<MemberRead<List<PolledBatches>>> pollBatchesAsMember(RequestContext caller, String group,
      String name, long timeoutMs, int maxBytes) {
    return withInstance(group, name, inst -> pollBatches(caller, inst, timeoutMs, maxBytes)
        .map(read -> new MemberRead<>(read, membershipOf(inst))));
  }

  private Future<List<PolledBatches>> pollBatches(RequestContext caller, ConsumerInstance inst, long timeoutMs,
      int maxBytes) {
    maybeAutoCommit(inst);
    long wait = timeoutMs < 0 ? inst.config.requestTimeoutMs() : timeoutMs;
    return positionsToRead(caller, inst).compose(positions -> {
      int generation = inst.generation;
      return PartitionPoller.pollBatches(service, new PartitionPoller.Request(positions, wait, maxBytes,
              inst.config.fetchMinBytes(), Integer.MAX_VALUE, inst.config.clientRack(),
              inst.config.readCommitted()))
          .compose(raw -> coordinator.workers().executeBlocking(() -> PartitionPoller.inMemory(raw), false))
          .compose(raw -> acceptBatches(inst, generation, positions, raw));
    });
  }

  /**
   * Takes a poll's batches, read into memory ({@link PartitionPoller#inMemory}), unless the instance lost its
   * partitions meanwhile (a rebalance, a new generation: then nothing is answered and no position moves); moves each
   * position past the partition's last batch read.
   */
  private Future<List<PolledBatches>> acceptBatches(ConsumerInstance inst, int generation,
      Map<TopicPartition, Long> from, PartitionPoller.Raw raw) {
    List<PolledBatches> out = new ArrayList<>();
    if (inst.deleted || inst.generation != generation) {
      return Future.succeededFuture(out);
    }
    Set<TopicPartition> owned = ownedSet(inst);
    raw.fetched().forEach((tp, fetched) -> {
      // A read_committed read of aborted records only is empty once filtered, yet its position moves past them.
      boolean moved = fetched.sizeInBytes() > 0 || fetched.nextOffset() > from.get(tp);
      if (moved && owned.contains(tp) && inst.positions.containsKey(tp)) {
        out.add(new PolledBatches(from.get(tp), fetched));
        inst.positions.put(tp, fetched.nextOffset());
      }
    });
    return resetOutOfRange(inst, raw.outOfRange()).map(out);
  }

  /** Takes a poll's records unless the instance lost its partitions meanwhile; moves positions past them. */
  private Future<List<ConsumedRecord>> accept(ConsumerInstance inst, int generation, PartitionPoller.Result result) {
    List<ConsumedRecord> out = new ArrayList<>();
    if (inst.deleted || inst.generation != generation) {
      return Future.succeededFuture(out);
    }
    Set<TopicPartition> owned = ownedSet(inst);
    result.records().forEach((tp, records) -> {
      if (owned.contains(tp) && inst.positions.containsKey(tp)) {
        for (Record r : records) {
          out.add(new ConsumedRecord(tp.topic(), tp.partition(), r));
        }
        inst.positions.put(tp, records.get(records.size() - 1).offset() + 1);
      }
    });
    result.skippedTo().forEach((tp, next) -> {
      if (owned.contains(tp) && inst.positions.containsKey(tp)) {
        inst.positions.merge(tp, next, Math::max); // past a gap with no records (compaction, control batches)
      }
    });
    return resetOutOfRange(inst, result.outOfRange()).map(out);
  }

  /** Resets by policy the positions a poll found out of range; completes (never fails) when all are done. */
  private Future<Void> resetOutOfRange(ConsumerInstance inst, List<TopicPartition> outOfRange) {
    List<Future<Void>> resets = new ArrayList<>();
    for (TopicPartition tp : outOfRange) {
      LOG.log(Level.INFO, "Position of " + inst.name() + " on " + tp + " is out of range; resetting to "
          + inst.config.autoOffsetReset());
      resets.add(resetPosition(inst, tp));
    }
    return Future.join(resets).transform(ar -> Future.succeededFuture());
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String group, String name) {
    return withInstance(group, name, inst -> joinIfNeeded(inst));
  }

  @Override
  public Future<Void> memberHeartbeat(RequestContext caller, String group, String name) {
    return withInstance(group, name, inst -> {
      if (inst.subscription == null) {
        return Future.succeededFuture();
      }
      if (inst.memberId == null) {
        throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Consumer instance '" + name + "' is not a member of"
            + " group '" + group + "' (yet, or no longer): it rejoins by reading its assignments or polling");
      }
      Group g = coordinator.group(group);
      if (isMember(inst) && inst.generation != g.generation() && g.state() != GroupState.STABLE) {
        // The coordinator made a generation without the member's join (it assigns for server-assigned members): to
        // the member the rebalance is in progress until it rejoins and sees its part, as it is to the group.
        g.heartbeat(inst.memberId, coordinator.nowMs());
        throw new SluiceException(ErrorCode.REBALANCE_IN_PROGRESS, "Group '" + group + "' is rebalancing (generation "
            + g.generation() + "): consumer instance '" + name + "' must rejoin (GET its assignments, or poll)");
      }
      g.heartbeat(inst.memberId, inst.generation, coordinator.nowMs());
      return Future.succeededFuture();
    });
  }

  /**
   * Joins the group through the group service (server-assigned: the coordinator computes the assignment), or
   * rejoins after eviction, when subscribed; a member's join is its heartbeat and waits out a rebalance.
   */
  private Future<Void> joinIfNeeded(ConsumerInstance inst) {
    if (inst.subscription == null) {
      return Future.succeededFuture();
    }
    if (inst.memberId == null || !isMember(inst)) {
      inst.positions.clear();
      inst.memberId = null;
    }
    inst.restored = false; // a restored instance that kept its static place (restoreStaticPlace) is in the group
    JoinGroupRequest join = JoinGroupRequest.serverAssigned(inst.group, inst.memberId == null ? "" : inst.memberId,
        inst.name(), inst.config.sessionTimeoutMs(), inst.config.assignor(), inst.subscription);
    if (inst.config.groupInstanceId() != null) { // a poll is a join: a dynamic member's costs no second request
      join = join.withGroupInstanceId(inst.config.groupInstanceId());
    }
    try {
      // Known before the rebalance, which may fail: the next poll then heartbeats this member, not a new one.
      inst.memberId = groups.enterServerAssignedNow(join);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return groups.awaitAssignmentNow(inst.group, inst.memberId).map(r -> {
      inst.generation = r.generation();
      return (Void) null;
    }).recover(t -> t instanceof SluiceException se && se.errorCode() == ErrorCode.UNKNOWN_MEMBER_ID
        ? Future.succeededFuture() // it left during the rebalance (deleted, expired): the next poll rejoins
        : Future.failedFuture(t));
  }

  private boolean isMember(ConsumerInstance inst) {
    return coordinator.group(inst.group).member(inst.memberId).isPresent();
  }

  /** Gives every owned partition without a position one; completes with the positions of the owned partitions. */
  private Future<Map<TopicPartition, Long>> initPositions(ConsumerInstance inst) {
    List<TopicPartition> owned = owned(inst);
    inst.positions.keySet().retainAll(new HashSet<>(owned));
    Map<TopicPartition, CommittedOffset> committed = groups.fetchOffsetsNow(inst.group, null);
    List<Future<Void>> pending = new ArrayList<>();
    for (TopicPartition tp : owned) {
      if (!inst.positions.containsKey(tp)) {
        CommittedOffset c = committed.get(tp);
        if (c != null) {
          inst.positions.put(tp, c.offset());
        } else {
          pending.add(resetPosition(inst, tp));
        }
      }
    }
    return Future.all(pending).map(v -> {
      Map<TopicPartition, Long> positions = new java.util.LinkedHashMap<>();
      owned.forEach(tp -> {
        if (inst.positions.containsKey(tp)) {
          positions.put(tp, inst.positions.get(tp));
        }
      });
      return positions;
    });
  }

  private Future<Void> resetPosition(ConsumerInstance inst, TopicPartition tp) {
    boolean earliest = inst.config.autoOffsetReset().equals("earliest");
    return service.offsets(RequestContext.SELF, tp).map(range -> {
      inst.positions.put(tp, earliest ? range.beginningOffset() : end(inst, range));
      return null;
    });
  }

  /** Where "latest" is: a read_committed instance's is the last stable offset, as Kafka's consumer's. */
  private static long end(ConsumerInstance inst, io.sluice.api.OffsetRange range) {
    return inst.config.readCommitted() ? range.lastStableOffset() : range.endOffset();
  }

  private void maybeAutoCommit(ConsumerInstance inst) {
    long now = coordinator.nowMs();
    if (inst.config.autoCommitEnable() && now - inst.lastAutoCommitMs >= inst.config.autoCommitIntervalMs()) {
      inst.lastAutoCommitMs = now;
      commitPositions(inst).onFailure(t -> LOG.log(Level.DEBUG, "Auto-commit of " + inst.name() + " failed: " + t));
    }
  }

  private Future<Void> commitPositions(ConsumerInstance inst) {
    return commitPositions(inst, null);
  }

  private Future<Void> commitPositions(ConsumerInstance inst, InstanceMembership fence) {
    Map<TopicPartition, Long> positions = new HashMap<>(inst.positions);
    positions.keySet().retainAll(ownedSet(inst));
    if (positions.isEmpty()) {
      // Nothing read yet, e.g. subscribed but not joined: commitChecked would refuse, which failed the first poll
      // once an auto-commit was due, and the delete or expiry of such an instance.
      return Future.succeededFuture();
    }
    try {
      return commitChecked(inst, OffsetCommit.withoutMetadata(positions), fence);
    } catch (RuntimeException e) {
      // The group refuses by throwing (a rebalance in progress, an evicted member): an auto-commit that comes due
      // then must fail on its own, not take the poll or delete that triggered it down with it.
      return Future.failedFuture(e);
    }
  }

  private Future<Void> commitChecked(ConsumerInstance inst, Map<TopicPartition, OffsetCommit> next) {
    return commitChecked(inst, next, null);
  }

  /**
   * Commits as the instance's member now, or with a {@code fence} as the member and generation its client names:
   * the group refuses a stale one ({@link Group#checkCommit}). A fence naming a member the instance no longer is (it
   * was evicted and joined again as a new member) is UNKNOWN_MEMBER_ID, as Kafka answers a member id it forgot.
   */
  private Future<Void> commitChecked(ConsumerInstance inst, Map<TopicPartition, OffsetCommit> next,
      InstanceMembership fence) {
    requireNotFenced(inst);
    String member = inst.subscription != null ? inst.memberId : null;
    int generation = inst.subscription != null ? inst.generation : -1;
    if (inst.subscription != null && member == null) {
      throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Instance '" + inst.name()
          + "' has not joined group '" + inst.group + "' yet; poll first");
    }
    if (fence != null) {
      if (!java.util.Objects.equals(fence.memberId(), member)) {
        throw new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Commit of instance '" + inst.name() + "' names member "
            + fence.memberId() + ", but the instance is " + (member == null ? "no member" : "member " + member)
            + " of group '" + inst.group + "' now (it lost its membership meanwhile); poll to get its assignment");
      }
      generation = fence.generationId();
    }
    return groups.commitNow(inst.group, member, generation, next);
  }

  @Override
  public Future<Void> commit(RequestContext caller, String group, String name,
      Map<TopicPartition, OffsetCommit> nextOffsets, InstanceMembership fence) {
    // The metadata check answers at once (a local snapshot), so commits still reach the group in the order they came.
    return groups.requireExisting(nextOffsets == null ? Set.of() : nextOffsets.keySet())
        .compose(v -> commitExisting(group, name, nextOffsets, fence));
  }

  private Future<Void> commitExisting(String group, String name, Map<TopicPartition, OffsetCommit> nextOffsets,
      InstanceMembership fence) {
    return coordinator.run(group, () -> {
      ConsumerInstance inst = instances.getOrDefault(group, Map.of()).get(name);
      // Named offsets do not depend on positions, so they need not wait behind a parked long poll of the same
      // instance (a WebSocket consumer with credit left always has one); the group checks the generation. Only
      // while no earlier commit is queued, so commits still land in the order they came.
      if (nextOffsets != null && inst != null && !inst.deleted && !inst.restored && inst.queuedCommits == 0
          && (inst.manual != null || inst.memberId != null)) {
        inst.lastUsedMs = coordinator.nowMs();
        return commitChecked(inst, nextOffsets, fence);
      }
      if (inst != null) {
        inst.queuedCommits++;
      }
      return withInstance(group, name, i -> nextOffsets == null ? commitPositions(i, fence)
          : commitChecked(i, nextOffsets, fence))
          .onComplete(ar -> {
            if (inst != null) {
              inst.queuedCommits--;
            }
          });
    });
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> committed(RequestContext caller, String group, String name,
      List<TopicPartition> partitions, boolean requireStable) {
    return withInstance(group, name, inst -> {
      return Future.succeededFuture(groups.fetchOffsetsNow(group, partitions != null ? partitions : owned(inst),
          requireStable));
    });
  }

  @Override
  public Future<Void> seek(RequestContext caller, String group, String name, Map<TopicPartition, Long> offsets) {
    return withInstance(group, name, inst -> {
      requireOwned(inst, offsets.keySet());
      inst.positions.putAll(offsets);
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> seekToTimestamp(RequestContext caller, String group, String name, Map<TopicPartition, Long> timestampsMs) {
    return withInstance(group, name, inst -> {
      requireOwned(inst, timestampsMs.keySet());
      List<Future<Void>> seeks = new ArrayList<>();
      timestampsMs.forEach((tp, ts) -> seeks.add(service.offsetForTimestamp(RequestContext.SELF, tp, ts)
          .compose(found -> found.isPresent() ? Future.succeededFuture(found.getAsLong())
              : service.offsets(RequestContext.SELF, tp).map(r -> r.endOffset()))
          .map(offset -> {
            inst.positions.put(tp, offset);
            return null;
          })));
      return Future.all(seeks).mapEmpty();
    });
  }

  @Override
  public Future<Void> seekToBeginning(RequestContext caller, String group, String name, List<TopicPartition> partitions) {
    return seekToEdge(group, name, partitions, true);
  }

  @Override
  public Future<Void> seekToEnd(RequestContext caller, String group, String name, List<TopicPartition> partitions) {
    return seekToEdge(group, name, partitions, false);
  }

  private Future<Void> seekToEdge(String group, String name, List<TopicPartition> partitions, boolean beginning) {
    return withInstance(group, name, inst -> {
      requireOwned(inst, partitions);
      List<Future<Void>> seeks = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        seeks.add(service.offsets(RequestContext.SELF, tp).map(r -> {
          inst.positions.put(tp, beginning ? r.beginningOffset() : end(inst, r));
          return null;
        }));
      }
      return Future.all(seeks).mapEmpty();
    });
  }

  private void requireOwned(ConsumerInstance inst, java.util.Collection<TopicPartition> partitions) {
    Set<TopicPartition> owned = ownedSet(inst);
    for (TopicPartition tp : partitions) {
      if (!owned.contains(tp)) {
        throw conflict("Instance '" + inst.name() + "' does not own " + tp + " (it owns " + owned
            + "); poll first after subscribing, or assign the partition");
      }
    }
  }

  @Override
  public Future<JsonArray> listGroups(RequestContext caller) {
    return groups.list(caller).map(GroupJson::listings);
  }

  @Override
  public Future<JsonObject> describeGroup(RequestContext caller, String group) {
    return groups.describe(caller, group).map(GroupJson::description);
  }

  @Override
  public Future<JsonArray> lags(RequestContext caller, String group) {
    return groups.lags(caller, group).map(GroupJson::lags);
  }

  @Override
  public Future<JsonArray> resetOffsets(RequestContext caller, String group, JsonObject request) {
    OffsetReset reset;
    try {
      reset = GroupAdmin.ResetSpec.parse(request);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return groups.resetOffsets(caller, group, reset).map(GroupJson::resetOutcomes);
  }

  @Override
  public Future<JsonArray> deleteOffsets(RequestContext caller, String group, JsonObject request) {
    try {
      return groups.deleteOffsets(caller, group, OffsetDeletion.parse(request)).map(GroupJson::deleteOutcomes);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Void> deleteGroup(RequestContext caller, String group) {
    return groups.deleteGroup(caller, group);
  }

  /**
   * Fails FENCED_INSTANCE_ID (and marks the instance fenced for good) when a newer member took over the instance's
   * {@code group.instance.id}; a dynamic instance costs one null check.
   */
  private void requireNotFenced(ConsumerInstance inst) {
    String id = inst.config.groupInstanceId();
    if (id == null) {
      return;
    }
    if (!inst.fenced && inst.memberId != null) {
      inst.fenced = coordinator.group(inst.group).fencedBy(id, inst.memberId).isPresent();
    }
    if (inst.fenced) {
      throw new SluiceException(ErrorCode.FENCED_INSTANCE_ID, "Consumer instance '" + inst.name() + "' of group '"
          + inst.group + "' was fenced: a newer member joined with its group.instance.id '" + id + "'; delete it");
    }
  }

  /** Runs {@code op} on the coordinator context after the instance's earlier operations; touches the instance. */
  private <T> Future<T> withInstance(String group, String name, Function<ConsumerInstance, Future<T>> op) {
    return withInstance(group, name, true, op);
  }

  /** {@link #withInstance}; {@code fenceable} false for the one operation a fenced instance may still do: delete. */
  private <T> Future<T> withInstance(String group, String name, boolean fenceable,
      Function<ConsumerInstance, Future<T>> op) {
    return coordinator.run(group, () -> {
      ConsumerInstance inst = instances.getOrDefault(group, Map.of()).get(name);
      if (inst == null) {
        throw new SluiceException(ErrorCode.CONSUMER_INSTANCE_NOT_FOUND, "Consumer instance '" + name
            + "' not found in group '" + group + "' (never created, deleted, or expired after "
            + coordinator.config().instanceTimeoutMs() + " ms unused)");
      }
      inst.lastUsedMs = coordinator.nowMs();
      return inst.serially(() -> {
        if (inst.deleted) {
          throw new SluiceException(ErrorCode.CONSUMER_INSTANCE_NOT_FOUND, "Consumer instance '" + name
              + "' was deleted");
        }
        inst.lastUsedMs = coordinator.nowMs();
        if (fenceable) {
          requireNotFenced(inst);
        }
        return op.apply(inst);
      });
    });
  }

  @Override
  public Future<Void> beforeRebalance(Group group) {
    List<Future<Void>> commits = new ArrayList<>();
    for (ConsumerInstance inst : instances.getOrDefault(group.groupId(), Map.of()).values()) {
      if (inst.config.autoCommitEnable() && inst.memberId != null && group.member(inst.memberId).isPresent()) {
        Map<TopicPartition, Long> positions = new HashMap<>(inst.positions);
        positions.keySet().retainAll(ownedSet(inst));
        // The coordinator commits for the member while the group is preparing: the owner has not lost them yet.
        commits.add(coordinator.commitForRevocation(group.groupId(), positions));
      }
    }
    return Future.all(commits).mapEmpty();
  }

  @Override
  public void afterRebalance(Group group) {
    for (ConsumerInstance inst : instances.getOrDefault(group.groupId(), Map.of()).values()) {
      if (inst.subscription != null) {
        inst.positions.keySet().retainAll(ownedSet(inst));
      }
    }
  }

  @Override
  public void sweep(long nowMs) {
    long timeout = coordinator.config().instanceTimeoutMs();
    List<ConsumerInstance> idle = new ArrayList<>();
    instances.values().forEach(byName -> byName.values().forEach(inst -> {
      if (nowMs - inst.lastUsedMs > timeout) {
        idle.add(inst);
      }
    }));
    for (ConsumerInstance inst : idle) {
      LOG.log(Level.INFO, "Consumer instance " + inst.group + "/" + inst.name() + " unused for " + timeout
          + " ms; deleting it");
      inst.serially(() -> inst.deleted ? Future.succeededFuture() : remove(inst, GroupMembershipOperation.DEFAULT));
    }
  }

  private static SluiceException conflict(String message) {
    return new SluiceException(ErrorCode.CONSUMER_STATE_CONFLICT, message);
  }
}
