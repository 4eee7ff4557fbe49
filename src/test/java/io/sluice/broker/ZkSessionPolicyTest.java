package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ZooKeeper server that is down for longer than the session timeout and then restarted from its disk (the embedded
 * one of a broker killed and started again) still holds the client's session. With {@link ZkSessionPolicy} the client
 * resumes that session: its ephemeral znodes stay its own. With Curator's default it declares the session lost after
 * a session timeout and opens a new one, while the old one lives on in the server for another session timeout.
 */
class ZkSessionPolicyTest {
  private static final int SESSION_TIMEOUT_MS = 2_000;

  @TempDir
  Path dir;

  @Test
  void aClientResumesItsSessionWhenARestartedServerRestoresIt() throws Exception {
    Outcome outcome = downLongerThanTheSession(true);
    assertThat(outcome.states).doesNotContain(ConnectionState.LOST).contains(ConnectionState.RECONNECTED);
    assertThat(outcome.sessionAfter).isEqualTo(outcome.sessionBefore);
  }

  @Test
  void curatorsDefaultStartsANewSessionMeanwhile() throws Exception {
    Outcome outcome = downLongerThanTheSession(false);
    assertThat(outcome.states).contains(ConnectionState.LOST);
    assertThat(outcome.sessionAfter).isNotEqualTo(outcome.sessionBefore);
  }

  private record Outcome(List<ConnectionState> states, long sessionBefore, long sessionAfter) {
  }

  private Outcome downLongerThanTheSession(boolean serverDecides) throws Exception {
    int port = freePort();
    EmbeddedZooKeeper server = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
    CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder().connectString("127.0.0.1:" + port)
        .sessionTimeoutMs(SESSION_TIMEOUT_MS).connectionTimeoutMs(1_000).retryPolicy(new ExponentialBackoffRetry(100, 3));
    List<ConnectionState> states = new CopyOnWriteArrayList<>();
    try (CuratorFramework client = (serverDecides ? ZkSessionPolicy.serverDecidesExpiry(builder) : builder).build()) {
      client.getConnectionStateListenable().addListener((c, s) -> states.add(s));
      client.start();
      assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
      long before = client.getZookeeperClient().getZooKeeper().getSessionId();

      server.close();
      await("the client sees the server gone").atMost(Duration.ofMinutes(1))
          .until(() -> states.contains(ConnectionState.SUSPENDED));
      long suspendedAt = System.nanoTime();
      // Down for twice the session timeout: Curator's simulation would have declared the session lost by then.
      await("twice the session timeout without a server, or a lost session").atMost(Duration.ofMinutes(1))
          .until(() -> states.contains(ConnectionState.LOST)
          || System.nanoTime() - suspendedAt > TimeUnit.MILLISECONDS.toNanos(2L * SESSION_TIMEOUT_MS));
      server = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
      await("the client is connected again").atMost(Duration.ofMinutes(1))
          .until(() -> states.contains(ConnectionState.RECONNECTED)
          && client.getZookeeperClient().isConnected());
      return new Outcome(List.copyOf(states), before, client.getZookeeperClient().getZooKeeper().getSessionId());
    } finally {
      server.close();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
