package io.sluice.client;

import io.sluice.record.Header;
import java.util.List;

/** A record read from a partition. Key and value may be null; arrays are not copied and must not be changed. */
public record ConsumerRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
    List<Header> headers) {

  /** The serialized size of key and value, for throughput figures. */
  public int payloadBytes() {
    return (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
  }
}
