package io.sluice.connect;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Refuses a record the REST API would write to an internal topic (a connector's config, a source offset altered by
 * hand) when it would not fit, before any of the request is written, naming what it is, its size and the limit. The
 * broker's own refusal named only the worker's internal append ("POST /batches for __connect_configs-0: ..."), came
 * after a connector's target state was written, and left the worker's idempotent producer unable to write to that
 * partition again (a sequence hole it will not fill): every later config change on the broker failed the same way.
 */
final class RecordLimit {
  private final BrokerService broker;
  private final RequestContext caller;
  /** This broker's {@code message.max.bytes}: a topic's limit unless it overrides {@code max.message.bytes}. */
  private final int brokerDefault;

  RecordLimit(BrokerService broker, RequestContext caller, int brokerDefault) {
    this.broker = broker;
    this.caller = caller;
    this.brokerDefault = brokerDefault;
  }

  /**
   * Fails MESSAGE_TOO_LARGE (413) when a batch holding only this record is above {@code topic}'s limit;
   * {@code what} names the record for the message ("the config of connector x").
   */
  Future<Void> require(String topic, String what, String key, String value) {
    int size = batchBytes(key, value);
    return broker.describeTopic(caller, topic).compose(md -> {
      String override = md.configs().get("max.message.bytes");
      int limit = override == null ? brokerDefault : Integer.parseInt(override);
      return size <= limit ? Future.succeededFuture() : Future.failedFuture(new SluiceException(
          ErrorCode.MESSAGE_TOO_LARGE, capitalized(what) + " is " + size + " bytes as a record of " + topic
          + ", above its limit of " + limit + " bytes (max.message.bytes of the topic, else the brokers'"
          + " message.max.bytes); nothing was written"));
    });
  }

  private static String capitalized(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** The exact size of the batch the worker's producer (no compression) writes for this record alone. */
  static int batchBytes(String key, String value) {
    return new RecordBatchBuilder(CompressionType.NONE).append(System.currentTimeMillis(),
        key.getBytes(StandardCharsets.UTF_8), value == null ? null : value.getBytes(StandardCharsets.UTF_8),
        List.of()).build().remaining();
  }
}
