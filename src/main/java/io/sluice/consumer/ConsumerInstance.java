package io.sluice.consumer;

import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One consumer instance: its settings, what it consumes (a subscription through its group, or partitions it
 * assigned itself; never both), its member id while in the group, and its position per owned partition (the next
 * offset a poll returns). Confined to the coordinator context. Operations on one instance run one after another
 * ({@link #serially}), as a Kafka consumer is used by one thread; the exception is a commit of named offsets, which
 * does not read positions and runs at once (not behind a parked poll) while no other commit is queued.
 *
 * <p>What survives the coordinator (it is persisted in the offsets topic): settings, subscription and manual
 * assignment. Positions do not: a restored instance resumes from the committed offsets, as a restarted Kafka
 * consumer would.
 */
final class ConsumerInstance {
  final String group;
  final ConsumerConfig config;
  Subscription subscription;
  List<TopicPartition> manual;
  String memberId;
  /** The generation whose assignment this instance last saw; -1 outside the group protocol. */
  int generation = -1;
  final Map<TopicPartition, Long> positions = new HashMap<>();
  long lastUsedMs;
  long lastAutoCommitMs;
  boolean deleted;
  /**
   * A newer instance with this one's {@code group.instance.id} took its membership over (KIP-345): every operation
   * but delete fails FENCED_INSTANCE_ID, for good, so the two never take the membership from each other in turn. Set
   * again at a restore when the group record gives the id to another instance's member.
   */
  boolean fenced;
  /** Commits waiting in the {@link #serially} queue; a commit of named offsets skips the queue only when zero. */
  int queuedCommits;
  /**
   * Rebuilt from the offsets topic by a coordinator that took the group over, and not in the group here yet. Such an
   * instance was most likely a member at the previous coordinator, whose membership died with it: a read of its
   * assignment rejoins it (as its next poll would) instead of answering "nothing", which its owner would take for a
   * revocation of every partition it had.
   */
  boolean restored;
  private Future<?> tail = Future.succeededFuture();

  ConsumerInstance(String group, ConsumerConfig config, long nowMs) {
    this.group = group;
    this.config = config;
    this.lastUsedMs = nowMs;
    this.lastAutoCommitMs = nowMs;
  }

  String name() {
    return config.name();
  }

  /** Runs {@code op} after every operation queued before it on this instance has completed. */
  <T> Future<T> serially(Supplier<Future<T>> op) {
    Future<T> next = tail.transform(ignored -> {
      try {
        return op.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    });
    // Not next itself: a done transformation keeps its function, and so what the operation captured (a refused
    // 12 MB subscription stayed on the instance until its next operation, 14 MB of heap each).
    tail = next.mapEmpty();
    return next;
  }

  JsonObject toJson() {
    return toJson(subscription, manual);
  }

  /** The instance as persisted were its subscription and manual assignment these (it is unchanged). */
  JsonObject toJson(Subscription subscription, List<TopicPartition> manual) {
    JsonObject j = new JsonObject().put("config", config.toJson());
    if (subscription != null) {
      j.put("subscription", subscription.pattern() != null
          ? new JsonObject().put("topic_pattern", subscription.patternText())
          : new JsonObject().put("topics", new JsonArray(new ArrayList<>(new TreeSet<>(subscription.topics())))));
    }
    if (manual != null) {
      JsonArray a = new JsonArray();
      manual.forEach(tp -> a.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())));
      j.put("assignment", a);
    }
    return j;
  }

  static ConsumerInstance fromJson(String group, JsonObject j, long nowMs) {
    ConsumerInstance inst = new ConsumerInstance(group, ConsumerConfig.fromJson(j.getJsonObject("config")), nowMs);
    inst.restored = true;
    JsonObject sub = j.getJsonObject("subscription");
    if (sub != null) {
      inst.subscription = sub.containsKey("topic_pattern")
          ? Subscription.ofPattern(sub.getString("topic_pattern"))
          : Subscription.ofTopics(sub.getJsonArray("topics").stream().map(String::valueOf).toList());
    }
    JsonArray a = j.getJsonArray("assignment");
    if (a != null) {
      List<TopicPartition> tps = new ArrayList<>();
      for (Object o : a) {
        JsonObject tp = (JsonObject) o;
        tps.add(new TopicPartition(tp.getString("topic"), tp.getInteger("partition")));
      }
      inst.manual = tps;
    }
    return inst;
  }
}
