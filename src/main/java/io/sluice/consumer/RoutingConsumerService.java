package io.sluice.consumer;

import io.sluice.api.RequestContext;

import io.sluice.api.ConsumerService;
import io.sluice.api.ConsumedRecord;


import io.sluice.broker.rpc.Contexts;
import io.sluice.api.BrokerService;
import io.sluice.api.TopicMetadata;
import io.sluice.broker.rpc.Forwarding;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.CommittedOffset;
import io.sluice.group.OffsetsTopic;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@link ConsumerService} for a broker in a cluster: each call goes to its group's coordinator, the broker leading
 * partition {@code toPositive(murmur2(utf8(group))) % n} of {@value OffsetsTopic#NAME} (from this broker's metadata
 * snapshot). Calls for groups coordinated here run on the {@link LocalConsumerService}; the others are made as the same call
 * on the coordinator ({@link BrokerRpc} to {@code sluice.broker.<coordinator>.consumer}, {@link ConsumerForwardServer}), polls with their
 * wait added to the timeout. The first call creates the offsets topic if it does not exist.
 *
 * <p>Retries: a call that certainly did not run (the target answered NOT_COORDINATOR, had no handler, or no leader is
 * known) is retried every {@value #RETRY_BACKOFF_MS} ms against a freshly looked-up coordinator for up to
 * {@value #RETRY_WINDOW_MS} ms, so a client sees a coordinator move as latency. A call in flight when its target stops
 * leading the partition (the coordinator died or lost leadership) fails at once with NOT_COORDINATOR, retriable: its
 * outcome is unknown, so the client decides. Futures complete on the caller's context. Thread-safe.
 */
public final class RoutingConsumerService implements ConsumerService {
  static final long RETRY_WINDOW_MS = 15_000;
  static final long RETRY_BACKOFF_MS = 100;
  private static final long FORWARD_TIMEOUT_MS = 15_000;
  private static final long IN_FLIGHT_CHECK_MS = 200;

  private final Vertx vertx;
  private final BrokerRpc rpc;
  private final int brokerId;
  private final BrokerService service;
  private final LocalConsumerService local;
  /** Routed requests awaiting a reply: the promise, its target broker and offsets topic partition. */
  private final Map<Promise<?>, int[]> inFlight = new ConcurrentHashMap<>();
  private final long checkTimer;

  public RoutingConsumerService(Vertx vertx, int brokerId, BrokerService service, LocalConsumerService local) {
    this.vertx = vertx;
    this.rpc = BrokerRpc.on(vertx);
    this.brokerId = brokerId;
    this.service = service;
    this.local = local;
    this.checkTimer = vertx.setPeriodic(IN_FLIGHT_CHECK_MS, id -> failMovedRequests());
  }

  public void close() {
    vertx.cancelTimer(checkTimer);
  }

  @Override
  public Future<String> create(RequestContext caller, String group, JsonObject settings) {
    return route(group, s -> s.create(caller, group, settings));
  }

  @Override
  public Future<JsonObject> config(RequestContext caller, String group, String name) {
    return route(group, s -> s.config(caller, group, name));
  }

  @Override
  public Future<Void> delete(RequestContext caller, String group, String name) {
    return route(group, s -> s.delete(caller, group, name));
  }

  @Override
  public Future<Void> subscribe(RequestContext caller, String group, String name, Subscription subscription) {
    return route(group, s -> s.subscribe(caller, group, name, subscription));
  }

  @Override
  public Future<Subscription> subscription(RequestContext caller, String group, String name) {
    return route(group, s -> s.subscription(caller, group, name));
  }

  @Override
  public Future<Void> unsubscribe(RequestContext caller, String group, String name) {
    return route(group, s -> s.unsubscribe(caller, group, name));
  }

  @Override
  public Future<Void> assign(RequestContext caller, String group, String name, List<TopicPartition> tps) {
    return route(group, s -> s.assign(caller, group, name, tps));
  }

  @Override
  public Future<List<TopicPartition>> assignment(RequestContext caller, String group, String name) {
    return route(group, s -> s.assignment(caller, group, name));
  }

  @Override
  public Future<List<ConsumedRecord>> poll(RequestContext caller, String group, String name, long timeoutMs, int maxBytes, int maxRecords) {
    // A negative wait means the instance's consumer.request.timeout.ms, unknown here: allow the broker maximum.
    long wait = timeoutMs < 0 ? 60_000 : timeoutMs;
    return route(group, wait + FORWARD_TIMEOUT_MS, s -> s.poll(caller, group, name, timeoutMs, maxBytes, maxRecords));
  }

  @Override
  public Future<Void> heartbeat(RequestContext caller, String group, String name) {
    return route(group, s -> s.heartbeat(caller, group, name));
  }

  @Override
  public Future<Void> commit(RequestContext caller, String group, String name, Map<TopicPartition, Long> nextOffsets) {
    return route(group, s -> s.commit(caller, group, name, nextOffsets));
  }

  @Override
  public Future<Map<TopicPartition, CommittedOffset>> committed(RequestContext caller, String group, String name,
      List<TopicPartition> tps) {
    return route(group, s -> s.committed(caller, group, name, tps));
  }

  @Override
  public Future<Void> seek(RequestContext caller, String group, String name, Map<TopicPartition, Long> offsets) {
    return route(group, s -> s.seek(caller, group, name, offsets));
  }

  @Override
  public Future<Void> seekToTimestamp(RequestContext caller, String group, String name, Map<TopicPartition, Long> timestampsMs) {
    return route(group, s -> s.seekToTimestamp(caller, group, name, timestampsMs));
  }

  @Override
  public Future<Void> seekToBeginning(RequestContext caller, String group, String name, List<TopicPartition> tps) {
    return route(group, s -> s.seekToBeginning(caller, group, name, tps));
  }

  @Override
  public Future<Void> seekToEnd(RequestContext caller, String group, String name, List<TopicPartition> tps) {
    return route(group, s -> s.seekToEnd(caller, group, name, tps));
  }

  /** Every coordinator's groups, merged: the call goes to each broker leading some offsets topic partition. */
  @Override
  public Future<JsonArray> listGroups(RequestContext caller) {
    return Contexts.onCaller(service.describeTopic(RequestContext.SELF, OffsetsTopic.NAME).transform(ar -> {
      if (ar.failed()) {
        return isCode(ar.cause(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) ? Future.succeededFuture(new JsonArray())
            : Future.failedFuture(ar.cause());
      }
      Set<Integer> coordinators = new TreeSet<>();
      ar.result().partitions().forEach(p -> coordinators.add(p.leader()));
      List<Future<JsonArray>> parts = new ArrayList<>();
      for (int c : coordinators) {
        parts.add(c == brokerId ? local.listGroups(caller)
            : send(c, -1, FORWARD_TIMEOUT_MS, s -> s.listGroups(caller)));
      }
      return Future.all(parts).map(all -> {
        JsonArray merged = new JsonArray();
        parts.forEach(f -> f.result().forEach(merged::add));
        return merged;
      });
    }));
  }

  @Override
  public Future<JsonObject> describeGroup(RequestContext caller, String group) {
    return route(group, s -> s.describeGroup(caller, group));
  }

  @Override
  public Future<JsonArray> lags(RequestContext caller, String group) {
    return route(group, s -> s.lags(caller, group));
  }

  @Override
  public Future<JsonArray> resetOffsets(RequestContext caller, String group, JsonObject req) {
    return route(group, s -> s.resetOffsets(caller, group, req));
  }

  private <T> Future<T> route(String group, Function<ConsumerService, Future<T>> call) {
    return route(group, FORWARD_TIMEOUT_MS, call);
  }

  /** Runs the call at the group's coordinator, retrying while it certainly did not run; see the class comment. */
  private <T> Future<T> route(String group, long timeoutMs, Function<ConsumerService, Future<T>> call) {
    Promise<T> result = Promise.promise();
    attempt(group, timeoutMs, call, System.nanoTime() + RETRY_WINDOW_MS * 1_000_000, result);
    return Contexts.onCaller(result.future());
  }

  private <T> void attempt(String group, long timeoutMs, Function<ConsumerService, Future<T>> call,
      long deadlineNanos, Promise<T> result) {
    coordinator(group).compose(c -> c[0] == brokerId ? call.apply(local)
            : c[0] < 0 ? Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "No live coordinator for"
                + " group '" + group + "' (" + OffsetsTopic.NAME + "-" + c[1] + " has no leader)"))
            : send(c[0], c[1], timeoutMs, call))
        .onSuccess(result::tryComplete)
        .onFailure(t -> {
          if (didNotRun(t) && System.nanoTime() < deadlineNanos) {
            vertx.setTimer(RETRY_BACKOFF_MS, id -> attempt(group, timeoutMs, call, deadlineNanos, result));
          } else {
            result.tryFail(t);
          }
        });
  }

  private static boolean didNotRun(Throwable t) {
    return t instanceof NotRun || isCode(t, ErrorCode.NOT_COORDINATOR) && !(t instanceof Moved)
        || Forwarding.notDelivered(t);
  }

  /** {@code [coordinator broker or -1, offsets topic partition]}; creates the offsets topic if missing. */
  private Future<int[]> coordinator(String group) {
    return service.describeTopic(RequestContext.SELF, OffsetsTopic.NAME)
        .recover(t -> isCode(t, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            ? local.ensureOffsetsTopic().compose(n -> Future.failedFuture(new NotRun("offsets topic created")))
            : Future.failedFuture(t))
        .map(m -> {
          int p = OffsetsTopic.partitionFor(group, m.partitionCount());
          return new int[] {leaderOf(m, p), p};
        });
  }

  private static int leaderOf(TopicMetadata m, int partition) {
    return m.partitions().stream().filter(p -> p.partition() == partition).mapToInt(p -> p.leader()).findFirst()
        .orElse(-1);
  }

  private <T> Future<T> send(int target, int partition, long timeoutMs, Function<ConsumerService, Future<T>> call) {
    Promise<T> p = Promise.promise();
    inFlight.put(p, new int[] {target, partition});
    rpc.call(ConsumerForwardServer.address(target), ConsumerService.class, timeoutMs, call)
        .onComplete(ar -> {
          inFlight.remove(p);
          if (ar.succeeded()) {
            p.tryComplete(ar.result());
          } else {
            p.tryFail(Forwarding.notDelivered(ar.cause()) ? ar.cause()
                : Forwarding.translate(ar.cause(), target, ErrorCode.NOT_COORDINATOR));
          }
        });
    return p.future();
  }

  /** Fails requests whose target no longer leads their partition: a dead target never answers. */
  private void failMovedRequests() {
    if (inFlight.isEmpty()) {
      return;
    }
    service.describeTopic(RequestContext.SELF, OffsetsTopic.NAME).onSuccess(m -> inFlight.forEach((p, target) -> {
      if (target[1] >= 0 && leaderOf(m, target[1]) != target[0]) {
        p.tryFail(new Moved("The coordinator moved off broker " + target[0] + " while the request was there;"
            + " its outcome is unknown"));
      }
    }));
  }

  private static boolean isCode(Throwable t, ErrorCode code) {
    return t instanceof SluiceException se && se.errorCode() == code;
  }

  /** A failure before the call reached a coordinator: retried. */
  private static final class NotRun extends SluiceException {
    NotRun(String message) {
      super(ErrorCode.NOT_COORDINATOR, message);
    }
  }

  /** The coordinator moved while the call was there: not retried here (it may have run). */
  private static final class Moved extends SluiceException {
    Moved(String message) {
      super(ErrorCode.NOT_COORDINATOR, message);
    }
  }
}
