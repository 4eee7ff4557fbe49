package io.sluice.cluster;

import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends records "r0", "r1", ... from its own thread with a bound on sends awaiting an answer, record i to partition
 * {@code i % partitions}, and remembers what each acknowledgement said. {@link #acked} and {@link #failures} are
 * thread-safe; read them after {@link #finish} for final values.
 */
final class ProducerLoad implements Runnable {
  private static final int MAX_IN_FLIGHT_SENDS = 64;
  final Producer producer;
  final String topic;
  final int partitions;
  /** Value to the partition and offset its acknowledgement named. */
  final Map<String, RecordMetadata> acked = new ConcurrentHashMap<>();
  final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Semaphore permits = new Semaphore(MAX_IN_FLIGHT_SENDS);
  private final Thread thread = new Thread(this, "client-load");

  ProducerLoad(Producer producer, String topic, int partitions) {
    this.producer = producer;
    this.topic = topic;
    this.partitions = partitions;
  }

  ProducerLoad start() {
    thread.start();
    return this;
  }

  @Override
  public void run() {
    for (int i = 0; !stop.get(); i++) {
      try {
        permits.acquire();
      } catch (InterruptedException e) {
        return;
      }
      String value = "r" + i;
      producer.send(new ProducerRecord(topic, i % partitions, null, null, value.getBytes(StandardCharsets.UTF_8),
              List.of()))
          .subscribe().with(md -> {
            acked.put(value, md);
            permits.release();
          }, t -> {
            failures.add(t);
            permits.release();
          });
    }
  }

  /** Stops sending and waits until every send was answered. */
  void finish() throws InterruptedException {
    stop.set(true);
    thread.join(10_000);
    permits.acquire(MAX_IN_FLIGHT_SENDS);
  }
}
