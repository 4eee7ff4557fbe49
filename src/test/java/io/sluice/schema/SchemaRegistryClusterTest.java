package io.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.InternalTopics;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry is the cluster's: what one broker registers the other serves at once, ids are unique whichever
 * broker registers, and they stay what they were across a restart (read back from {@code _schemas}).
 */
@Tag("several-brokers")
class SchemaRegistryClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aSecondBrokerServesWhatTheFirstRegisteredAndIdsSurviveARestart() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp().set(BrokerConfig.SCHEMA_REGISTRY_ENABLED, true)
        .start(2);
    RegistryClient one = SchemaRegistryTest.awaitUp(cluster.broker(1).httpPort());
    RegistryClient two = SchemaRegistryTest.awaitUp(cluster.broker(2).httpPort());

    int first = one.registeredId("orders-value", SchemaRegistryTest.V1);
    assertThat(two.get("/schemas/ids/" + first).json().getString("schema")).as("read at once on broker 2")
        .isEqualTo(SchemaRegistryTest.V1);
    assertThat(two.registeredId("orders-value", SchemaRegistryTest.V1)).as("the same schema through broker 2")
        .isEqualTo(first);
    int second = two.registeredId("orders-value", SchemaRegistryTest.WITH_DEFAULT);
    int third = one.registeredId("payments-value", SchemaRegistryTest.PROMOTED);
    assertThat(new int[] {first, second, third}).doesNotHaveDuplicates();
    assertThat(one.get("/subjects/orders-value/versions/2").json().getInteger("id")).isEqualTo(second);
    JsonObject described = cluster.web(1).get("/topics/" + InternalTopics.SCHEMAS).send().toCompletionStage()
        .toCompletableFuture().get().bodyAsJsonObject();
    assertThat(described.getJsonArray("partitions").getJsonObject(0).getJsonArray("replicas"))
        .as("replicated on both brokers").hasSize(2);

    cluster.stop(2);
    RegistryClient restarted = SchemaRegistryTest.awaitUp(cluster.startBroker(2).httpPort());
    assertThat(restarted.get("/subjects/orders-value/versions/2").json().getInteger("id")).isEqualTo(second);
    assertThat(restarted.get("/schemas/ids/" + third).json().getString("schema"))
        .isEqualTo(SchemaRegistryTest.PROMOTED);
    assertThat(restarted.registeredId("orders-value", SchemaRegistryTest.WITH_DEFAULT)).isEqualTo(second);
    int fourth = restarted.registeredId("other-value", SchemaRegistryTest.EMPTY);
    assertThat(fourth).isGreaterThan(third);

    int deleteStatus = cluster.web(1).delete("/topics/" + InternalTopics.SCHEMAS).send().toCompletionStage()
        .toCompletableFuture().get().statusCode();
    assertThat(deleteStatus).as("clients may not delete the registry's topic").isGreaterThanOrEqualTo(400);
  }
}
