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
 * Refuses a connector config whose record would not fit in {@code __connect_configs} before any of it is written,
 * naming the connector, the config's size and the limit: the broker's own refusal named only the worker's internal
 * append ("POST /batches for __connect_configs-0: ..."), and came after the connector's target state was written.
 */
final class ConfigRecordLimit {
  private final BrokerService broker;
  private final RequestContext caller;
  /** This broker's {@code message.max.bytes}: the topic's limit unless it overrides {@code max.message.bytes}. */
  private final int brokerDefault;

  ConfigRecordLimit(BrokerService broker, RequestContext caller, int brokerDefault) {
    this.broker = broker;
    this.caller = caller;
    this.brokerDefault = brokerDefault;
  }

  /** Fails MESSAGE_TOO_LARGE (413) when a batch holding only this record is above the topic's limit. */
  Future<Void> require(String connector, String key, String value) {
    int size = batchBytes(key, value);
    return broker.describeTopic(caller, ConnectState.CONFIGS_TOPIC).compose(md -> {
      String override = md.configs().get("max.message.bytes");
      int limit = override == null ? brokerDefault : Integer.parseInt(override);
      return size <= limit ? Future.succeededFuture() : Future.failedFuture(tooLarge(connector, size, limit));
    });
  }

  static SluiceException tooLarge(String connector, long size, int limit) {
    return new SluiceException(ErrorCode.MESSAGE_TOO_LARGE, "The config of connector " + connector + " is " + size
        + " bytes as a record of " + ConnectState.CONFIGS_TOPIC + ", above its limit of " + limit + " bytes"
        + " (max.message.bytes of the topic, else the brokers' message.max.bytes); shorten the config");
  }

  /** The exact size of the batch the worker's producer (no compression) writes for this record alone. */
  static int batchBytes(String key, String value) {
    return new RecordBatchBuilder(CompressionType.NONE).append(System.currentTimeMillis(),
        key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), List.of()).build().remaining();
  }
}
