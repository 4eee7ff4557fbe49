package io.sluice.broker.cluster;

import io.sluice.broker.Acks;
import io.sluice.broker.BrokerService;
import io.sluice.broker.FetchRequest;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;

/**
 * Serves requests other brokers forward here (see {@link ForwardingBrokerService}) against this broker's local
 * service, never forwarding them again. Parameters travel as message headers ({@code op}, {@code topic},
 * {@code partition}, ...), batches as the body; failures are replied with the {@link ErrorCode}'s number as the
 * failure code.
 */
public final class ForwardServer {
  private final Vertx vertx;
  private final int brokerId;
  private final BrokerService local;
  private MessageConsumer<Buffer> consumer;

  public ForwardServer(Vertx vertx, int brokerId, BrokerService local) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.local = local;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(ClusterAddresses.forward(brokerId), this::handle);
    return consumer.completion();
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<Buffer> msg) {
    Future<Void> done;
    try {
      done = dispatch(msg);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onFailure(t -> Forwarding.replyFailure(msg, t));
  }

  private Future<Void> dispatch(Message<Buffer> msg) {
    MultiMap h = msg.headers();
    TopicPartition tp = new TopicPartition(h.get("topic"), Integer.parseInt(h.get("partition")));
    String op = h.get(ForwardingBrokerService.OP);
    return switch (op) {
      case "produce" -> local.produce(tp, ByteBuffer.wrap(msg.body().getBytes()), Acks.valueOf(h.get("acks")))
          .map(r -> {
            msg.reply(new JsonObject().put("offsets", new JsonArray(r.batchBaseOffsets())).toBuffer());
            return null;
          });
      case "fetch" -> local.fetch(new FetchRequest(tp, Long.parseLong(h.get("offset")),
              Integer.parseInt(h.get("max_bytes")), Integer.parseInt(h.get("min_bytes")),
              Long.parseLong(h.get("max_wait_ms"))))
          .compose(r -> (r.slice() != null
              ? vertx.executeBlocking(() -> Buffer.buffer(r.slice().readBytes().array()), false)
              : Future.succeededFuture(r.bytes()))
              .map(bytes -> {
                msg.reply(bytes, new DeliveryOptions().addHeader("high_watermark", Long.toString(r.highWatermark()))
                    .addHeader("log_start_offset", Long.toString(r.logStartOffset())));
                return null;
              }));
      case "offsets" -> local.offsets(tp).map(r -> {
        msg.reply(new JsonObject().put("beginning_offset", r.beginningOffset()).put("end_offset", r.endOffset())
            .toBuffer());
        return null;
      });
      case "timestamp" -> local.offsetForTimestamp(tp, Long.parseLong(h.get("timestamp"))).map(r -> {
        JsonObject json = new JsonObject();
        r.ifPresent(o -> json.put("offset", o));
        msg.reply(json.toBuffer());
        return null;
      });
      default -> Future.failedFuture(new SluiceException(ErrorCode.INVALID_REQUEST, "Unknown forwarded op " + op));
    };
  }
}
