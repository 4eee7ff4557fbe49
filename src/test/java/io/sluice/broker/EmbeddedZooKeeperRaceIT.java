package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BrokerJvm;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's three-broker block: three broker JVMs started at the same moment, with nothing but distinct ids,
 * HTTP ports and data directories and one embedded ZooKeeper port, all see the port free and race for it; the
 * losers join the winner, and the three form one cluster.
 */
class EmbeddedZooKeeperRaceIT {
  private static final long START_S = 120;

  @TempDir
  Path tmp;
  private final List<BrokerJvm> brokers = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void killLeftoversAndKeepTheirOutput() throws Exception {
    for (BrokerJvm b : brokers) {
      b.close("EmbeddedZooKeeperRaceIT");
    }
  }

  @Test
  void threeBrokersStartedTogetherFormOneClusterAroundOneEmbeddedZooKeeper() throws Exception {
    String zookeeperPort = Integer.toString(BrokerJvm.freePort());
    for (int id = 1; id <= 3; id++) {
      brokers.add(BrokerJvm.start("--broker-id", Integer.toString(id), "--http-port", "0",
          "--data-dir", tmp.resolve("data-" + id).toString(), "--set", "zookeeper.embedded.port=" + zookeeperPort));
    }
    List<Integer> ports = new ArrayList<>();
    for (BrokerJvm b : brokers) {
      ports.add(b.awaitListening(START_S));
    }

    for (int port : ports) {
      org.awaitility.Awaitility.await("brokers alive as seen by the one on " + port).atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(aliveBrokers(port)).containsExactly(1, 2, 3));
    }
    long running = brokers.stream().filter(b -> b.text().contains("Embedded ZooKeeper listening")).count();
    assertThat(running).as("brokers running the embedded ZooKeeper").isEqualTo(1);
    assertThat(brokers).allSatisfy(b -> assertThat(b.isAlive()).isTrue())
        .allSatisfy(b -> assertThat(b.text()).doesNotContain("retrying on another port"));
  }

  /** The brokers {@code GET /cluster} shows alive (none when it does not answer 200). */
  private Set<Integer> aliveBrokers(int port) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/cluster"))
        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    Set<Integer> alive = new TreeSet<>();
    if (r.statusCode() == 200) {
      new JsonObject(r.body()).getJsonArray("brokers").forEach(b -> {
        JsonObject broker = (JsonObject) b;
        if (broker.getBoolean("alive")) {
          alive.add(broker.getInteger("id"));
        }
      });
    }
    return alive;
  }
}
