package io.sluice.group;

import io.sluice.api.RequestContext;

import io.sluice.api.TopicMetadata;
import io.sluice.broker.rpc.Contexts;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which {@link OffsetsTopic} partitions the {@link GroupCoordinator} serves: those its broker leads. Every
 * {@value #CHECK_INTERVAL_MS} ms it compares the partitions led here (from the broker's metadata snapshot) with those
 * it serves; a partition newly led is loaded, one no longer led is dropped at once.
 *
 * <p>Loading a partition: a marker record is appended with acks=all. Its acknowledgement means everything before it
 * is committed (a new leader's high watermark may lag its log end until the followers catch up, so a read "up to the
 * high watermark" alone could miss the last commits: Kafka's coordinator reads its leader's log to the log end for
 * this reason); then the partition is read up to the marker, and only then are its groups served. The read does not
 * wait for the marker: what is below the high watermark already is read while the marker replicates (the followers
 * of a new leader take a while to fetch from it), and only the rest after it, in offset order: from the offset the
 * first read reached, which may be short of the end the partition's offsets named when it began (the high watermark
 * it reads up to lagged). Until then, and after leadership moved away, requests for its groups fail NOT_COORDINATOR,
 * which the router ({@code io.sluice.consumer.RoutingConsumerService}) retries after looking the coordinator up again.
 *
 * <p>Threads: the coordinator's context only. A load that finishes after its leadership was lost (or after a newer
 * load began) is discarded by its attempt number.
 */
final class PartitionOwnership {
  static final long CHECK_INTERVAL_MS = 200;
  private static final System.Logger LOG = System.getLogger(PartitionOwnership.class.getName());

  private final GroupCoordinator coordinator;
  private final OffsetsTopic topic;
  private final int brokerId;
  /** Partitions being loaded or served, with the attempt number of their load and the leader epoch it is at. */
  private final Map<Integer, Owned> owned = new HashMap<>();
  /**
   * Partitions whose leader refused this coordinator's write as from an older leader epoch ({@link #fenced}), with
   * that epoch: not loaded again until the metadata names a newer one (this broker's may lag the cluster's).
   */
  private final Map<Integer, Integer> fencedAt = new HashMap<>();
  private final Set<Integer> serving = new TreeSet<>();
  private long attempts;
  private long timer = -1;
  private boolean checking;
  /** Set by {@link #freeze}: leadership is no longer followed. */
  private boolean frozen;

  private record Owned(long attempt, int leaderEpoch) {
  }

  PartitionOwnership(GroupCoordinator coordinator, OffsetsTopic topic, int brokerId) {
    this.coordinator = coordinator;
    this.topic = topic;
    this.brokerId = brokerId;
  }

  /** Single-broker mode: every partition, loaded up to its current end, without a marker. */
  Future<Void> loadAll(int partitions) {
    List<Future<Long>> loads = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      loads.add(coordinator.service().offsets(RequestContext.SELF, new io.sluice.api.TopicPartition(OffsetsTopic.NAME, p))
          .compose(r -> topic.load(partition, r.endOffset(), coordinator::apply))
          .onSuccess(n -> {
            serving.add(partition);
            coordinator.partitionServed(partition, partitions, 0);
            coordinator.listener().partitionLoaded(partition, partitions);
          }));
    }
    return Future.all(loads).mapEmpty();
  }

  void startFollowing() {
    timer = coordinator.vertx().setPeriodic(1, CHECK_INTERVAL_MS, id -> check());
  }

  void stop() {
    coordinator.vertx().cancelTimer(timer);
  }

  /**
   * Stops following leadership, keeping what is loaded: the coordinator is a zombie that has not seen its partitions
   * move (as one whose broker is cut off from the metadata), for tests of the fences that stop such a one.
   */
  void freeze() {
    stop();
    frozen = true;
  }

  boolean coordinates(String group) {
    int n = topic.partitions();
    return n > 0 && serving.contains(OffsetsTopic.partitionFor(group, n));
  }

  void requireCoordinating(String group) {
    if (!coordinates(group)) {
      throw new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + brokerId + " does not coordinate group '"
          + group + "' now (" + OffsetsTopic.NAME + " partition led elsewhere, or still loading)");
    }
  }

  /**
   * The leader epoch this coordinator's writes to {@code partition} carry (the partition refuses them once its leader
   * is at another: {@code BrokerService.produceAtLeaderEpoch}): the epoch it is loaded or served at.
   * {@link OffsetsTopic#ANY_LEADER_EPOCH} in single-broker mode. Throws NOT_COORDINATOR for a partition not owned
   * here: a write from state kept past its partition's drop is not sent at all.
   */
  int writeEpoch(int partition) {
    if (brokerId < 0) {
      return OffsetsTopic.ANY_LEADER_EPOCH;
    }
    Owned o = owned.get(partition);
    if (o == null) {
      throw new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + brokerId + " no longer coordinates the groups"
          + " of " + OffsetsTopic.NAME + "-" + partition + ": nothing was written");
    }
    return o.leaderEpoch();
  }

  /**
   * A write to {@code partition} at {@code leaderEpoch} was refused by its leader, which is at a newer epoch (or a
   * transaction marker by a partition that saw a newer coordinator epoch): another broker coordinates it now, though
   * this broker's metadata may not say so yet. Its groups and transactional ids are dropped at once, and it is not
   * loaded again at that epoch.
   */
  void fenced(int partition, int leaderEpoch) {
    Owned o = owned.get(partition);
    if (brokerId < 0 || o == null || o.leaderEpoch() != leaderEpoch) {
      return; // single-broker mode, or dropped (and maybe loaded at a newer epoch) meanwhile
    }
    LOG.log(Level.WARNING, "Broker " + brokerId + " was fenced as the coordinator of " + OffsetsTopic.NAME + "-"
        + partition + " at leader epoch " + leaderEpoch + ": a newer coordinator writes it; dropping its groups");
    fencedAt.put(partition, leaderEpoch);
    drop(partition, topic.partitions());
  }

  /**
   * Fails COORDINATOR_LOAD_IN_PROGRESS while a partition the broker's metadata says is led here is not served yet
   * (loading, or not noticed by the last {@link #check}): a read of every group here would silently miss its groups.
   */
  Future<Void> requireAllLoaded() {
    if (brokerId < 0) {
      return Future.succeededFuture(); // single-broker mode: the coordinator's start waits for every load
    }
    Future<TopicMetadata> metadata = coordinator.service().describeTopic(RequestContext.SELF, OffsetsTopic.NAME);
    return Contexts.onCaller(metadata).transform(ar -> {
      if (ar.failed()) {
        boolean noTopic = ar.cause() instanceof SluiceException e
            && e.errorCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        return noTopic ? Future.succeededFuture() : Future.failedFuture(ar.cause());
      }
      Set<Integer> loading = new TreeSet<>();
      ar.result().partitions().stream().filter(p -> p.leader() == brokerId && !serving.contains(p.partition()))
          .forEach(p -> loading.add(p.partition()));
      return loading.isEmpty() ? Future.succeededFuture() : Future.failedFuture(new SluiceException(
          ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "Broker " + brokerId + " is still loading the groups of "
          + OffsetsTopic.NAME + " partition(s) " + loading + "; retry"));
    });
  }

  /** Compares the partitions led here with those owned; loads and drops accordingly. */
  void check() {
    if (checking || frozen || coordinator.closed()) {
      return;
    }
    checking = true;
    coordinator.service().describeTopic(RequestContext.SELF, OffsetsTopic.NAME)
        .onSuccess(this::reconcile)
        .onComplete(ar -> checking = false);
  }

  private void reconcile(TopicMetadata metadata) {
    if (frozen) {
      return; // a check that was running when it froze
    }
    int n = metadata.partitionCount();
    topic.partitions(n);
    Set<Integer> led = new TreeSet<>();
    for (TopicMetadata.PartitionMetadata p : metadata.partitions()) {
      if (p.leader() == brokerId) {
        led.add(p.partition());
      }
    }
    Map<Integer, Integer> epochs = new HashMap<>();
    metadata.partitions().forEach(p -> epochs.put(p.partition(), p.leaderEpoch()));
    for (Integer p : new ArrayList<>(owned.keySet())) {
      // A new epoch of a partition still led here: it may have been led elsewhere between two checks, and written.
      if (!led.contains(p) || owned.get(p).leaderEpoch() != epochs.get(p)) {
        drop(p, n);
      }
    }
    fencedAt.keySet().removeIf(p -> !led.contains(p) || fencedAt.get(p) < epochs.get(p));
    for (TopicMetadata.PartitionMetadata p : metadata.partitions()) {
      if (p.leader() == brokerId && !owned.containsKey(p.partition()) && !fencedAt.containsKey(p.partition())) {
        load(p.partition(), n, p.leaderEpoch());
      }
    }
  }

  private void drop(int partition, int partitions) {
    owned.remove(partition);
    boolean wasServing = serving.remove(partition);
    coordinator.dropPartition(partition, partitions);
    if (wasServing) {
      coordinator.listener().partitionUnloaded(partition, partitions);
    }
    LOG.log(Level.INFO, "Broker " + brokerId + " no longer coordinates the groups of " + OffsetsTopic.NAME + "-"
        + partition);
  }

  private void load(int partition, int partitions, int leaderEpoch) {
    long attempt = ++attempts;
    owned.put(partition, new Owned(attempt, leaderEpoch));
    long started = coordinator.nowMs();
    OffsetsTopic.Entry marker = new OffsetsTopic.Entry(new JsonArray().add("load").add(Integer.toString(brokerId)),
        new JsonObject().put("broker", brokerId));
    long[] markerAckedMs = {-1};
    // Loads replay into the coordinator's maps: a failed or superseded attempt must leave nothing behind.
    java.util.function.Consumer<OffsetsTopic.Entry> replay = e -> {
      if (current(partition, attempt)) {
        coordinator.apply(e);
      }
    };
    Future<Long> markerAcked = topic.appendTo(partition, List.of(marker), leaderEpoch)
        .onSuccess(offset -> markerAckedMs[0] = coordinator.nowMs());
    topic.loadCommitted(partition, replay)
        .compose(committed -> markerAcked.compose(markerOffset -> topic.load(partition, committed.reached(),
            markerOffset, replay)).map(rest -> committed.records() + rest))
        .onComplete(ar -> {
          if (!current(partition, attempt)) {
            return;
          }
          if (ar.failed()) {
            LOG.log(Level.WARNING, "Loading " + OffsetsTopic.NAME + "-" + partition + " failed (retrying): "
                + ar.cause());
            owned.remove(partition);
            coordinator.dropPartition(partition, partitions);
            return;
          }
          serving.add(partition);
          coordinator.partitionServed(partition, partitions, leaderEpoch);
          coordinator.listener().partitionLoaded(partition, partitions);
          // The two steps apart: the marker's acks=all append waits for every in-sync follower to fetch from this
          // new leader, the read is local (the committed part overlaps the marker's wait; what follows is the rest).
          long now = coordinator.nowMs();
          LOG.log(Level.INFO, "Broker " + brokerId + " coordinates the groups of " + OffsetsTopic.NAME + "-"
              + partition + ": loaded " + ar.result() + " record(s) in " + (now - started) + " ms (load marker"
              + " replicated after " + (markerAckedMs[0] - started) + " ms, read done " + (now - markerAckedMs[0]) + " ms"
              + " after it)");
        });
  }

  private boolean current(int partition, long attempt) {
    Owned o = owned.get(partition);
    return o != null && o.attempt() == attempt && !coordinator.closed();
  }
}
