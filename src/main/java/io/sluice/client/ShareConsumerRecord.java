package io.sluice.client;

/**
 * A record a {@link ShareConsumer} was handed, with how many times it has been delivered (1 the first time; more
 * after a release, a lock that timed out, or a member or broker that went away before acknowledging it).
 */
public record ShareConsumerRecord(ConsumerRecord record, int deliveryCount) {
  public String topic() {
    return record.topic();
  }

  public int partition() {
    return record.partition();
  }

  public long offset() {
    return record.offset();
  }

  public byte[] key() {
    return record.key();
  }

  public byte[] value() {
    return record.value();
  }
}
