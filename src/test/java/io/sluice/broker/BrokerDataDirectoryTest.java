package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.http.HttpListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker's data directory is its own: a second broker started on it is refused before it touches anything (it
 * used to start an embedded ZooKeeper on the first one's ZooKeeper data and write there), and what Vert.x unpacks
 * to serve files lives under it, an earlier start's leftovers deleted, never in the temporary directory.
 */
class BrokerDataDirectoryTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dataDir;

  @Test
  void aSecondBrokerOnTheSameDirectoryIsRefusedAndChangesNothingThere() throws Exception {
    Broker first = TestBrokers.start(TestBrokers.config(dataDir, Map.of()), GUARD);
    try {
      Map<Path, Long> zookeeperFiles = filesAndSizes(dataDir.resolve("zookeeper"));

      assertThatThrownBy(() -> Broker.builder(TestBrokers.config(dataDir, Map.of())).start()
          .await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS))
          .hasMessageContaining("Data directory " + dataDir + " is in use by another broker");

      assertThat(filesAndSizes(dataDir.resolve("zookeeper"))).isEqualTo(zookeeperFiles);
      assertThat(first.notReadyReason()).isEmpty();
    } finally {
      TestBrokers.close(first);
    }
    TestBrokers.close(TestBrokers.start(TestBrokers.config(dataDir, Map.of()), GUARD)); // the close released it
  }

  @Test
  void vertxsFileCacheIsUnderTheDataDirectoryAndAnEarlierStartsIsDeleted() throws Exception {
    Path leftover = Files.createDirectories(dataDir.resolve("cache/vertx-cache-of-a-killed-broker/webroot"));
    Files.writeString(leftover.resolve("index.html"), "stale");

    Broker broker = Broker.builder(TestBrokers.config(dataDir, Map.of())).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    try {
      assertThat(dataDir.resolve("cache/vertx-cache-of-a-killed-broker")).doesNotExist();
      // A file from a jar (a WebJar) is what Vert.x unpacks before serving it.
      HttpResponse<String> js = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + broker.httpPort() + "/webjars/uplot/dist/uPlot.iife.min.js")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(js.statusCode()).isEqualTo(200);
      try (Stream<Path> caches = Files.list(dataDir.resolve("cache"))) {
        assertThat(caches.map(p -> p.getFileName().toString())).singleElement()
            .satisfies(name -> assertThat(name).startsWith("vertx-cache-"));
      }
    } finally {
      TestBrokers.close(broker);
    }
  }

  private static Map<Path, Long> filesAndSizes(Path dir) throws Exception {
    Map<Path, Long> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p), Files.size(p));
      }
    }
    return files;
  }
}
