package io.sluice.client.examples;

import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reads the first ten records of partition 0 of a topic from its beginning, without a consumer group. */
public final class ReadExample {
  private ReadExample() {
  }

  public static void main(String[] args) {
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.length > 0 ? args[0]
        : "http://127.0.0.1:8080"));
    try {
      client.partitionReader(ReaderOptions.of("example-orders", 0).start(StartPosition.beginning()))
          .records()
          .select().first(10)
          .onItem().invoke((ConsumerRecord r) -> System.out.println(r.offset() + ": "
              + (r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8))))
          .collect().asList()
          .await().atMost(Duration.ofSeconds(30));
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }
}
