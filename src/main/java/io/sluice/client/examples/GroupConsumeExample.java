package io.sluice.client.examples;

import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.GroupConsumer;
import io.sluice.client.RebalanceListener;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Consumes twenty records of {@code example-orders} as a member of the group {@code example-group}, printing
 * rebalances, and commits what it printed before leaving; run it twice and the second run continues after the
 * first.
 */
public final class GroupConsumeExample {
  private GroupConsumeExample() {
  }

  public static void main(String[] args) {
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.length > 0 ? args[0]
        : "http://127.0.0.1:8080"));
    RebalanceListener printer = new RebalanceListener() {
      @Override
      public void onPartitionsAssigned(Set<TopicPartition> partitions) {
        System.out.println("assigned " + partitions);
      }

      @Override
      public void onPartitionsRevoked(Set<TopicPartition> partitions) {
        System.out.println("revoked " + partitions);
      }
    };
    GroupConsumer consumer = client.consumer(ConsumerOptions.of("example-group", List.of("example-orders"))
        .enableAutoCommit(false).rebalanceListener(printer));
    try {
      consumer.records()
          .select().first(20)
          .onItem().invoke(r -> System.out.println(r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
              + (r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8))))
          .collect().asList()
          .await().atMost(Duration.ofSeconds(30));
      consumer.commit().await().atMost(Duration.ofSeconds(30));
    } finally {
      consumer.close().await().atMost(Duration.ofSeconds(30));
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }
}
