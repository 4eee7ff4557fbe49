package io.sluice.client;

/**
 * Told once how a record given to {@link Producer#send(ProducerRecord, SendCallback)} ended: where it was written,
 * or why it failed (Kafka's {@code Callback}). Called on the client's context, so it must not block; a send to a
 * producer already closed is refused on the sending thread.
 */
@FunctionalInterface
public interface SendCallback {

  /** {@code metadata} when the record was written ({@code failure} null), otherwise {@code failure}. */
  void onCompletion(RecordMetadata metadata, Throwable failure);
}
