package io.sluice.quota;

import java.util.Arrays;
import java.util.Optional;

/**
 * The quotas a client may be held to, by the names their configs take. Kafka's {@code request_percentage} is a share
 * of the broker's request-handler threads' time; an HTTP broker has no such threads (a request's time on an event
 * loop is microseconds and its waits cost nothing), so Sluice bounds what a client can ask instead: requests per
 * second, {@code request_rate}.
 */
public enum QuotaType {
  /** Bytes per second of request bodies the client produces (Kafka's {@code producer_byte_rate}). */
  PRODUCE("producer_byte_rate"),
  /** Bytes per second of answers to the client's fetches and polls (Kafka's {@code consumer_byte_rate}). */
  FETCH("consumer_byte_rate"),
  /** Requests per second of any kind (Sluice's own, in place of Kafka's {@code request_percentage}). */
  REQUEST("request_rate");

  private final String key;

  QuotaType(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  public static Optional<QuotaType> ofKey(String key) {
    return Arrays.stream(values()).filter(t -> t.key.equals(key)).findFirst();
  }
}
