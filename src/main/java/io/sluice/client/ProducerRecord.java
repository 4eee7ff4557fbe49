package io.sluice.client;

import io.sluice.record.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A record to send. {@code partition} null lets the producer choose: Kafka's murmur2 of the key when there is one
 * (the broker's and Kafka's partitioner, so a key lands where a Kafka client would put it), otherwise a partition
 * kept until its batch is full ("sticky", as Kafka's default). {@code timestamp} null means the send time. Arrays
 * are not copied: do not change them after sending.
 */
public record ProducerRecord(String topic, Integer partition, Long timestamp, byte[] key, byte[] value,
    List<Header> headers) {

  public ProducerRecord {
    Objects.requireNonNull(topic, "topic");
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  public static ProducerRecord of(String topic, byte[] key, byte[] value) {
    return new ProducerRecord(topic, null, null, key, value, List.of());
  }

  /** A record with UTF-8 key (may be null) and value. */
  public static ProducerRecord of(String topic, String key, String value) {
    return of(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  public ProducerRecord withPartition(int partition) {
    return new ProducerRecord(topic, partition, timestamp, key, value, headers);
  }
}
