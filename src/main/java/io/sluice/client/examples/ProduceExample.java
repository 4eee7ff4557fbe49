package io.sluice.client.examples;

import io.smallrye.mutiny.Multi;
import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import java.time.Duration;
import java.util.Map;

/** Creates a topic, sends one record and then a stream of keyed records, and prints where they went. */
public final class ProduceExample {
  private ProduceExample() {
  }

  public static void main(String[] args) {
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.length > 0 ? args[0]
        : "http://127.0.0.1:8080"));
    try {
      client.admin().createTopic("example-orders", 3, -1, Map.of()).onFailure().recoverWithNull()
          .await().atMost(Duration.ofSeconds(30));
      Producer producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(5));
      RecordMetadata first = producer.send(ProducerRecord.of("example-orders", "order-1", "created"))
          .await().atMost(Duration.ofSeconds(30));
      System.out.println("order-1 written to partition " + first.partition() + " at offset " + first.offset());
      long sent = producer.send(Multi.createFrom().range(0, 1_000)
              .map(i -> ProducerRecord.of("example-orders", "order-" + (i % 10), "event " + i)))
          .collect().with(java.util.stream.Collectors.counting())
          .await().atMost(Duration.ofSeconds(60));
      System.out.println(sent + " more records acknowledged");
      producer.close().await().atMost(Duration.ofSeconds(30));
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }
}
