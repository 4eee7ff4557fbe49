package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.zookeeper.proto.ConnectRequest;
import org.apache.zookeeper.proto.ConnectResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded server takes its port before it loads its data ({@link EmbeddedZooKeeper#bind}), so the broker's
 * ZooKeeper client and clustered Vert.x start while it loads ({@link EmbeddedZooKeeper.Bound#serve}).
 */
class EmbeddedZooKeeperBindTest {
  @TempDir
  Path dir;

  /**
   * A client that connected while the server was still loading waits in the backlog and gets its session. ZooKeeper's
   * own startup accepts before it serves: such a client was read at once, closed as "not running", and its real
   * client would retry only after a random pause of up to a second.
   */
  @Test
  void aClientThatConnectedBeforeTheServerServedGetsItsSession() throws Exception {
    EmbeddedZooKeeper.Bound bound = EmbeddedZooKeeper.bind(dir.resolve("zk"), 0);
    EmbeddedZooKeeper server = null;
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port(bound))) {
      socket.setSoTimeout(30_000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      byte[] request = connectRequest();
      out.writeInt(request.length);
      out.write(request);
      out.flush();

      server = bound.serve();

      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] reply = new byte[in.readInt()]; // EOFException: the server closed the connection instead
      in.readFully(reply);
      ConnectResponse response = new ConnectResponse();
      response.deserialize(BinaryInputArchive.getArchive(new ByteArrayInputStream(reply)), "connect");
      assertThat(response.getSessionId()).isNotZero();
      assertThat(response.getTimeOut()).isPositive();
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @Test
  void aBoundPortIsTakenUntilReleased() {
    EmbeddedZooKeeper.Bound bound = EmbeddedZooKeeper.bind(dir.resolve("zk"), 0);
    int port = port(bound);
    assertThatThrownBy(() -> EmbeddedZooKeeper.bind(dir.resolve("other"), port))
        .isInstanceOf(EmbeddedZooKeeper.PortTakenException.class);
    assertThat(EmbeddedZooKeeper.portTaken(port)).isTrue();
    bound.release();
    assertThat(EmbeddedZooKeeper.portTaken(port)).isFalse();
  }

  private static int port(EmbeddedZooKeeper.Bound bound) {
    String connect = bound.connectString();
    return Integer.parseInt(connect.substring(connect.lastIndexOf(':') + 1));
  }

  /** A new session's request, as ZooKeeper's client writes it (without the length prefix). */
  static byte[] connectRequest() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BinaryOutputArchive archive = BinaryOutputArchive.getArchive(bytes);
    new ConnectRequest(0, 0, 6_000, 0, new byte[16]).serialize(archive, "connect");
    archive.writeBool(false, "readOnly");
    return bytes.toByteArray();
  }
}
