package io.sluice.consumer;

import static io.sluice.consumer.ConsumerMessages.longs;
import static io.sluice.consumer.ConsumerMessages.partitions;
import static io.sluice.consumer.ConsumerMessages.subscription;

import io.sluice.broker.cluster.Forwarding;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * Serves consumer-group requests other brokers route here ({@link RoutingConsumerService}) against this broker's
 * {@link LocalConsumerService}, never routing them again: a group this broker does not coordinate fails
 * NOT_COORDINATOR and the sender looks the coordinator up again. Address {@code sluice.broker.<id>.consumer};
 * bodies are JSON ({@link ConsumerMessages}); failures are replied with the {@link ErrorCode}'s number.
 */
public final class ConsumerForwardServer {
  private final Vertx vertx;
  private final int brokerId;
  private final ConsumerService local;
  private MessageConsumer<Buffer> consumer;

  public ConsumerForwardServer(Vertx vertx, int brokerId, ConsumerService local) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.local = local;
  }

  /** The event-bus address of broker {@code brokerId}'s consumer endpoint (dotted: see ClusterAddresses). */
  public static String address(int brokerId) {
    return "sluice.broker." + brokerId + ".consumer";
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(address(brokerId), this::handle);
    return consumer.completion();
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<Buffer> msg) {
    Future<Object> done;
    try {
      done = dispatch(new JsonObject(msg.body()));
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onSuccess(result -> msg.reply(new JsonObject().put("result", result).toBuffer()))
        .onFailure(t -> Forwarding.replyFailure(msg, t));
  }

  private Future<Object> dispatch(JsonObject r) {
    String op = r.getString("op");
    String g = r.getString("group");
    String n = r.getString("name");
    Future<?> f = switch (op) {
      case "create" -> local.create(g, r.getJsonObject("settings")).map(ConsumerConfig::toJson);
      case "config" -> local.config(g, n).map(ConsumerConfig::toJson);
      case "delete" -> local.delete(g, n);
      case "subscribe" -> local.subscribe(g, n, subscription(r.getJsonObject("subscription")));
      case "subscription" -> local.subscription(g, n).map(ConsumerMessages::subscription);
      case "unsubscribe" -> local.unsubscribe(g, n);
      case "assign" -> local.assign(g, n, partitions(r.getJsonArray("partitions")));
      case "assignment" -> local.assignment(g, n).map(ConsumerMessages::partitions);
      case "poll" -> local.poll(g, n, r.getLong("timeout_ms"), r.getInteger("max_bytes"), r.getInteger("max_records"))
          .map(ConsumerMessages::records);
      case "heartbeat" -> local.heartbeat(g, n);
      case "commit" -> local.commit(g, n, longs(r.getJsonArray("offsets")));
      case "committed" -> local.committed(g, n, partitions(r.getJsonArray("partitions")))
          .map(ConsumerMessages::committed);
      case "seek" -> local.seek(g, n, longs(r.getJsonArray("offsets")));
      case "seekToTimestamp" -> local.seekToTimestamp(g, n, longs(r.getJsonArray("offsets")));
      case "seekToBeginning" -> local.seekToBeginning(g, n, partitions(r.getJsonArray("partitions")));
      case "seekToEnd" -> local.seekToEnd(g, n, partitions(r.getJsonArray("partitions")));
      case "listGroups" -> local.listGroups();
      case "describeGroup" -> local.describeGroup(g);
      case "lags" -> local.lags(g);
      case "resetOffsets" -> local.resetOffsets(g, r.getJsonObject("request"));
      default -> Future.failedFuture(new SluiceException(ErrorCode.INVALID_REQUEST, "Unknown consumer op " + op));
    };
    return f.map(x -> (Object) x);
  }
}
