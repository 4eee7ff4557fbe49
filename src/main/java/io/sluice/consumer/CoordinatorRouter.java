package io.sluice.consumer;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.broker.rpc.Contexts;
import io.sluice.broker.rpc.Forwarding;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Sends a call on a group to its coordinator: the broker leading partition
 * {@code toPositive(murmur2(utf8(group))) % n} of {@value OffsetsTopic#NAME} (from this broker's metadata snapshot).
 * A group coordinated here runs on the local service; another is made as the same call on the coordinator
 * ({@link BrokerRpc}). The first call creates the offsets topic if it does not exist. Shared by the routed services
 * listeners get ({@link RoutingConsumerService}, {@link RoutingGroupService}).
 *
 * <p>Retries: a call that certainly did not run (the target answered NOT_COORDINATOR, had no handler, or no leader is
 * known) is retried every {@value #RETRY_BACKOFF_MS} ms against a freshly looked-up coordinator for up to
 * {@value #RETRY_WINDOW_MS} ms, so a client sees a coordinator move as latency. A call in flight when its target stops
 * leading the partition (the coordinator died or lost leadership) fails at once with NOT_COORDINATOR, retriable: its
 * outcome is unknown, so the client decides. Futures complete on the caller's context. Thread-safe.
 */
final class CoordinatorRouter {
  static final long RETRY_WINDOW_MS = 15_000;
  static final long RETRY_BACKOFF_MS = 100;
  static final long FORWARD_TIMEOUT_MS = 15_000;
  private static final long IN_FLIGHT_CHECK_MS = 200;

  private final Vertx vertx;
  private final BrokerRpc rpc;
  private final int brokerId;
  private final BrokerService service;
  private final Supplier<Future<Integer>> createOffsetsTopic;
  /** Routed requests awaiting a reply: the promise, its target broker and offsets topic partition. */
  private final Map<Promise<?>, int[]> inFlight = new ConcurrentHashMap<>();
  private final long checkTimer;

  CoordinatorRouter(Vertx vertx, int brokerId, BrokerService service, Supplier<Future<Integer>> createOffsetsTopic) {
    this.vertx = vertx;
    this.rpc = BrokerRpc.on(vertx);
    this.brokerId = brokerId;
    this.service = service;
    this.createOffsetsTopic = createOffsetsTopic;
    this.checkTimer = vertx.setPeriodic(IN_FLIGHT_CHECK_MS, id -> failMovedRequests());
  }

  void close() {
    vertx.cancelTimer(checkTimer);
  }

  /** A service of type {@code S}: its implementation here, and the event-bus address of each broker's. */
  record Target<S>(Class<S> type, S local, IntFunction<String> address) {
  }

  /** Runs the call at the group's coordinator, retrying while it certainly did not run; see the class comment. */
  <S, T> Future<T> route(Target<S> target, String group, long timeoutMs, Function<S, Future<T>> call) {
    Promise<T> result = Promise.promise();
    attempt(target, group, timeoutMs, call, System.nanoTime() + RETRY_WINDOW_MS * 1_000_000, result);
    return Contexts.onCaller(result.future());
  }

  /**
   * Runs the call at every broker leading some offsets topic partition; no offsets topic: no answers. A read of every
   * group must not miss a coordinator's, so while one is loading (COORDINATOR_LOAD_IN_PROGRESS), moving or unreachable
   * the whole call is made again, as {@link #route} does, within the same window.
   */
  <S, T> Future<List<T>> everyCoordinator(Target<S> target, Function<S, Future<T>> call) {
    Promise<List<T>> result = Promise.promise();
    everyAttempt(target, call, System.nanoTime() + RETRY_WINDOW_MS * 1_000_000, result);
    return Contexts.onCaller(result.future());
  }

  private <S, T> void everyAttempt(Target<S> target, Function<S, Future<T>> call, long deadlineNanos,
      Promise<List<T>> result) {
    atEveryCoordinator(target, call).onSuccess(result::tryComplete).onFailure(t -> {
      boolean retriable = isCode(t, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) || isCode(t, ErrorCode.NOT_COORDINATOR)
          || Forwarding.notDelivered(t);
      if (retriable && System.nanoTime() < deadlineNanos) {
        vertx.setTimer(RETRY_BACKOFF_MS, id -> everyAttempt(target, call, deadlineNanos, result));
      } else {
        result.tryFail(t);
      }
    });
  }

  private <S, T> Future<List<T>> atEveryCoordinator(Target<S> target, Function<S, Future<T>> call) {
    return Contexts.onCaller(service.describeTopic(RequestContext.SELF, OffsetsTopic.NAME).transform(ar -> {
      if (ar.failed()) {
        return isCode(ar.cause(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) ? Future.succeededFuture(List.<T>of())
            : Future.failedFuture(ar.cause());
      }
      Set<Integer> coordinators = new TreeSet<>();
      ar.result().partitions().forEach(p -> coordinators.add(p.leader()));
      List<Future<T>> parts = new ArrayList<>();
      for (int c : coordinators) {
        parts.add(c == brokerId ? call.apply(target.local()) : send(target, c, -1, FORWARD_TIMEOUT_MS, call));
      }
      return Future.all(parts).map(all -> parts.stream().map(Future::result).toList());
    }));
  }

  private <S, T> void attempt(Target<S> target, String group, long timeoutMs, Function<S, Future<T>> call,
      long deadlineNanos, Promise<T> result) {
    coordinator(group).compose(c -> c[0] == brokerId ? call.apply(target.local())
            : c[0] < 0 ? Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "No live coordinator for"
                + " group '" + group + "' (" + OffsetsTopic.NAME + "-" + c[1] + " has no leader)"))
            : send(target, c[0], c[1], timeoutMs, call))
        .onSuccess(result::tryComplete)
        .onFailure(t -> {
          if (didNotRun(t) && System.nanoTime() < deadlineNanos) {
            vertx.setTimer(RETRY_BACKOFF_MS, id -> attempt(target, group, timeoutMs, call, deadlineNanos, result));
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
            ? createOffsetsTopic.get().compose(n -> Future.failedFuture(new NotRun("offsets topic created")))
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

  private <S, T> Future<T> send(Target<S> target, int broker, int partition, long timeoutMs,
      Function<S, Future<T>> call) {
    Promise<T> p = Promise.promise();
    inFlight.put(p, new int[] {broker, partition});
    rpc.call(target.address().apply(broker), target.type(), timeoutMs, call)
        .onComplete(ar -> {
          inFlight.remove(p);
          if (ar.succeeded()) {
            p.tryComplete(ar.result());
          } else {
            p.tryFail(Forwarding.notDelivered(ar.cause()) ? ar.cause()
                : Forwarding.translate(ar.cause(), broker, ErrorCode.NOT_COORDINATOR));
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
