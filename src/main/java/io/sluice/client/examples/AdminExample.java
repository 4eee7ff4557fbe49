package io.sluice.client.examples;

import io.sluice.client.Admin;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicDescription;
import java.time.Duration;

/** Lists the cluster's brokers and every topic with its partitions' leaders and end offsets. */
public final class AdminExample {
  private AdminExample() {
  }

  public static void main(String[] args) {
    Duration wait = Duration.ofSeconds(30);
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(args.length > 0 ? args[0]
        : "http://127.0.0.1:8080"));
    try {
      Admin admin = client.admin();
      System.out.println("brokers: " + admin.describeCluster().await().atMost(wait).brokers());
      for (String topic : admin.listTopics().await().atMost(wait)) {
        TopicDescription d = admin.describeTopic(topic).await().atMost(wait);
        for (TopicDescription.PartitionInfo p : d.partitions()) {
          System.out.println(topic + "-" + p.partition() + " leader " + p.leader() + ", end offset "
              + admin.offsets(topic, p.partition()).await().atMost(wait).endOffset());
        }
      }
    } finally {
      client.close().await().atMost(wait);
    }
  }
}
