package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BrokerJvm;
import io.sluice.storage.MetaProperties;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker never serves under an identity that is not its own, checked on broker JVMs started as a user starts
 * them: a second broker with a running broker's id stops at start without answering {@code /ready} 200 or
 * acknowledging a produce, and names the broker that has the id; a data directory of another broker id or of
 * another cluster ({@code meta.properties}) is refused.
 */
class BrokerIdentityIT {
  private static final String JSON = "application/vnd.kafka.json.v2+json";
  private static final long START_S = 120;

  @TempDir
  Path tmp;
  private final List<BrokerJvm> brokers = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void killLeftoversAndKeepTheirOutput() throws Exception {
    for (BrokerJvm b : brokers) {
      b.close("BrokerIdentityIT");
    }
  }

  private BrokerJvm start(String... args) throws Exception {
    BrokerJvm b = BrokerJvm.start(args);
    brokers.add(b);
    return b;
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(int port, String path, String contentType, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String records(String... values) {
    JsonArray records = new JsonArray();
    for (String v : values) {
      records.add(new JsonObject().put("value", v));
    }
    return new JsonObject().put("records", records).encode();
  }

  @Test
  void secondBrokerWithTheSameIdStopsAtStartWithoutServingAndTheFirstKeepsItsRecords() throws Exception {
    String zookeeperPort = Integer.toString(BrokerJvm.freePort());
    BrokerJvm first = start("--broker-id", "1", "--http-port", "0", "--data-dir", tmp.resolve("one").toString(),
        "--set", "zookeeper.embedded.port=" + zookeeperPort);
    int firstPort = first.awaitListening(START_S);
    assertThat(post(firstPort, "/topics", "application/json", "{\"name\": \"kept\", \"partitions\": 2}")
        .statusCode()).isEqualTo(201);
    List<String> written = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      HttpResponse<String> r = post(firstPort, "/topics/kept/partitions/" + p + "?acks=all", JSON,
          records("p" + p + "-a", "p" + p + "-b"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      written.addAll(List.of("p" + p + "-a", "p" + p + "-b"));
    }

    int duplicatePort = BrokerJvm.freePort();
    Path duplicateDir = tmp.resolve("dup");
    BrokerJvm duplicate = start("--broker-id", "1", "--http-port", Integer.toString(duplicatePort),
        "--data-dir", duplicateDir.toString(), "--set", "zookeeper.embedded.port=" + zookeeperPort);
    List<String> served = probeUntilExit(duplicate, duplicatePort);

    assertThat(served).as("what the duplicate answered with 200").isEmpty();
    assertThat(duplicate.awaitExit(30)).isNotZero();
    assertThat(duplicate.text()).contains("Broker id 1 is already registered by the broker at 127.0.0.1:" + firstPort);
    assertThat(MetaProperties.read(duplicateDir)).as("the refused directory is not stamped").isEmpty();

    assertThat(first.isAlive()).isTrue();
    JsonObject cluster = new JsonObject(get(firstPort, "/cluster").body());
    assertThat(cluster.getJsonArray("brokers").encode()).isEqualTo(new JsonArray().add(new JsonObject()
        .put("id", 1).put("host", "127.0.0.1").put("port", firstPort).put("alive", true).putNull("rack")).encode());
    List<String> read = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + firstPort
          + "/topics/kept/partitions/" + p + "/records?offset=0")).header("Accept", JSON).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      new JsonArray(r.body()).forEach(rec -> read.add(((JsonObject) rec).getString("value")));
    }
    assertThat(read).containsExactlyElementsOf(written);
    assertThat(get(firstPort, "/ready").statusCode()).isEqualTo(200);
  }

  /**
   * Asks {@code /ready} and an acks=all produce of the duplicate again and again while it runs (a refused
   * connection is the expected answer); returns every answer that was a 200.
   */
  private List<String> probeUntilExit(BrokerJvm broker, int port) throws Exception {
    List<String> served = new java.util.concurrent.CopyOnWriteArrayList<>();
    // Asked every 20 ms until the process is gone: each probe is a chance for it to serve what it must not.
    try {
      org.awaitility.Awaitility.await("the duplicate broker exits").atMost(Duration.ofSeconds(START_S))
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!broker.isAlive()) {
              return true;
            }
            probe(port, served);
            return false;
          });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("the duplicate broker still runs:\n" + broker.text(), e);
    }
    return List.copyOf(served);
  }

  private void probe(int port, List<String> served) throws Exception {
    try {
      HttpResponse<String> ready = get(port, "/ready");
      if (ready.statusCode() == 200) {
        served.add("GET /ready: " + ready.body());
      }
      HttpResponse<String> produce = post(port, "/topics/kept/partitions/0?acks=all", JSON, records("lost?"));
      if (produce.statusCode() == 200) {
        served.add("produce: " + produce.body());
      }
    } catch (java.io.IOException refused) {
      // not listening: the right answer; ask again until it exits
    }
  }

  @Test
  void dataDirectoryOfAnotherBrokerIdOrAnotherClusterIsRefused() throws Exception {
    Path dir = tmp.resolve("data");
    BrokerJvm owner = start("--broker-id", "1", "--http-port", "0", "--data-dir", dir.toString(),
        "--set", "zookeeper.embedded.port=0");
    owner.awaitListening(START_S);
    owner.terminate();
    owner.awaitExit(60);
    assertThat(owner.text()).contains("Sluice broker 1 stopped");
    MetaProperties identity = MetaProperties.read(dir).orElseThrow();
    assertThat(identity.brokerId()).isEqualTo(1);
    assertThat(identity.clusterId()).isPresent();

    BrokerJvm otherId = start("--broker-id", "2", "--http-port", "0", "--data-dir", dir.toString(),
        "--set", "zookeeper.embedded.port=0");
    assertThat(otherId.awaitExit(START_S)).isNotZero();
    assertThat(otherId.text()).contains("Data directory " + dir + " belongs to broker 1")
        .doesNotContain("Sluice broker");

    // The same directory as if it came from another cluster: its ZooKeeper holds a cluster id it does not carry.
    new MetaProperties(1, Optional.of("another-cluster"), 1, identity.directoryId()).write(dir);
    BrokerJvm otherCluster = start("--broker-id", "1", "--http-port", "0", "--data-dir", dir.toString(),
        "--set", "zookeeper.embedded.port=0");
    assertThat(otherCluster.awaitExit(START_S)).isNotZero();
    assertThat(otherCluster.text()).contains("belongs to cluster another-cluster")
        .contains("holds cluster " + identity.clusterId().get()).doesNotContain("Sluice broker");
    assertThat(MetaProperties.read(dir).orElseThrow().clusterId()).contains("another-cluster");
  }
}
