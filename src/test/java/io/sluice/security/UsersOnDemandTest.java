package io.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.cli.UsersCommand;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * With authentication off (the default) the broker's start reads no users: the users' znodes are neither made nor
 * followed until the users API is first called, which then lists every user ZooKeeper holds (one written there
 * before, straight by {@code sluice users set}, and one made through the API).
 */
class UsersOnDemandTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir
  Path dir;
  private Broker broker;

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void authenticationOffReadsTheUsersAtTheUsersApisFirstCallNotAtStart() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false)), GUARD, HttpListener::new);
    try (CuratorFramework zk = CuratorFrameworkFactory.builder().connectString(broker.zookeeperConnect())
        .retryPolicy(new RetryOneTime(100)).namespace(ZkPaths.NAMESPACE).build()) {
      zk.start();
      assertThat(zk.checkExists().forPath(CredentialStore.USERS)).as("the users' znode after the start").isNull();
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = UsersCommand.run(new String[] {"set", "--zookeeper", broker.zookeeperConnect(), "--user", "alice",
        "--password", "alice-secret", "--mechanism", "SCRAM-SHA-256"}, new PrintStream(out), System.err);
    assertThat(exit).as(out.toString()).isZero();
    HttpResponse<String> made = send("PUT", "/users/bob/credentials/SCRAM-SHA-512", "{\"password\": \"bob-secret\"}");
    assertThat(made.statusCode()).as(made.body()).isBetween(200, 204);

    HttpResponse<String> listed = send("GET", "/users", null);
    assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
    JsonArray users = new JsonObject(listed.body()).getJsonArray("users");
    assertThat(users.stream().map(u -> ((JsonObject) u).getString("user")).toList())
        .isEqualTo(List.of("alice", "bob"));
  }

  private HttpResponse<String> send(String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
