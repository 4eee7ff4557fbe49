package io.sluice.broker;

import io.sluice.config.ZooKeeperClientSasl;
import io.sluice.config.ZooKeeperClientTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.X509Exception;

/**
 * Curator clients as Sluice makes them, the broker's and the CLI's alike: over TLS with {@code zookeeper.ssl.*}
 * (ZooKeeper's Netty socket, a {@code ZKClientConfig} of their own), logged in with SASL when a JAAS file has their
 * section ({@code ZooKeeperClientSasl}), and with {@link ZkAcls} when {@code zookeeper.set.acl}.
 */
public final class ZooKeeperClients {
  private ZooKeeperClients() {
  }

  /** A builder for {@code connect} with {@code tls}'s settings; the caller adds timeouts and the retry policy. */
  public static CuratorFrameworkFactory.Builder builder(String connect, ZooKeeperClientTls tls) {
    CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(connect)
        .zkClientConfig(tls.clientConfig());
    return tls.setAcl() ? b.aclProvider(new ZkAcls()) : b;
  }

  /**
   * With TLS on, completes a TLS handshake with one of {@code connect}'s servers as the ZooKeeper client will, so that
   * a certificate either side refuses fails the start naming the settings (ZooKeeper's client only logs it and
   * retries until its timeout). A server that cannot be reached is not this check's business: the client's own
   * retries wait for it. Blocks up to {@code timeoutMs} per server.
   *
   * @throws ZooKeeperTlsException if every reachable server refused the handshake
   */
  public static void checkHandshake(String connect, ZooKeeperClientTls tls, int timeoutMs) {
    if (!tls.enabled()) {
      return;
    }
    List<String> refusals = new ArrayList<>();
    for (InetSocketAddress server : servers(connect)) {
      try (ClientX509Util util = new ClientX509Util();
          SSLSocket socket = util.createSSLContextAndOptions(tls.clientConfig()).createSSLSocket()) {
        socket.connect(server, timeoutMs);
        socket.setSoTimeout(timeoutMs);
        socket.startHandshake();
        return;
      } catch (SSLException e) {
        refusals.add(server.getHostString() + ":" + server.getPort() + ": " + e.getMessage());
      } catch (X509Exception e) {
        throw new ZooKeeperTlsException("Cannot set up TLS to ZooKeeper (check " + ZooKeeperClientTls.KEYSTORE_LOCATION
            + " and " + ZooKeeperClientTls.TRUSTSTORE_LOCATION + "): " + e.getMessage(), e);
      } catch (SocketTimeoutException e) {
        return; // a server that does not answer in time is left to the client's retries
      } catch (IOException e) {
        // unreachable: the next one, or the client's retries
      }
    }
    if (!refusals.isEmpty()) {
      throw new ZooKeeperTlsException("The TLS handshake with ZooKeeper failed (" + String.join("; ", refusals)
          + "): check that " + ZooKeeperClientTls.TRUSTSTORE_LOCATION + " holds the CA of ZooKeeper's certificate, that"
          + " ZooKeeper trusts the certificate of " + ZooKeeperClientTls.KEYSTORE_LOCATION + ", and "
          + ZooKeeperClientTls.ENDPOINT_IDENTIFICATION + " (HTTPS: ZooKeeper's certificate must name the host)", null);
    }
  }

  /**
   * {@code failure}, or when ZooKeeper refused a znode to this client (NoAuth: znodes created with
   * {@code zookeeper.set.acl} by another identity) an exception saying so and naming the settings, {@code failure}
   * its cause.
   */
  public static Throwable explainRefusal(Throwable failure, ZooKeeperClientTls tls) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof KeeperException.NoAuthException noAuth) {
        return new ZooKeeperAccessException("ZooKeeper refused " + (noAuth.getPath() == null ? "a znode"
            : noAuth.getPath()) + " to this broker (NoAuth): its ACLs (" + ZooKeeperClientTls.SET_ACL + ") grant it"
            + " to another identity, and this broker authenticates as " + tls.describeIdentity() + ". Every broker"
            + " must show the same certificate subject or SASL user, or open the tree with sluice"
            + " zookeeper-security-migration --zookeeper.acl unsecure", failure);
      }
      if (t instanceof KeeperException.SessionClosedRequireAuthException) {
        return new ZooKeeperAccessException("ZooKeeper requires a SASL login and closed this broker's session: it"
            + " authenticates as " + tls.describeIdentity() + ". Give it a JAAS client section ("
            + ZooKeeperClientSasl.JAAS_CONFIG + ", " + ZooKeeperClientSasl.CLIENT_SECTION + ")", failure);
      }
    }
    return failure;
  }

  /**
   * With a SASL login, logs in to {@code connect} once as the ZooKeeper client will, so that a password or user
   * ZooKeeper refuses fails the start naming the settings (ZooKeeper's client only reports it to a watcher, and
   * Curator then retries until its timeout). A ZooKeeper that does not answer within {@code timeoutMs} is left to
   * the client's own retries. Blocks up to {@code timeoutMs}.
   *
   * @throws ZooKeeperSaslException if ZooKeeper refused the login
   */
  public static void checkSasl(String connect, ZooKeeperClientTls settings, int timeoutMs) {
    if (!settings.sasl().enabled()) {
      return;
    }
    BlockingQueue<Watcher.Event.KeeperState> states = new LinkedBlockingQueue<>();
    ZooKeeper zk;
    try {
      zk = new ZooKeeper(connect, timeoutMs, e -> states.add(e.getState()), settings.clientConfig());
    } catch (IOException e) {
      return; // a connect string ZooKeeper refuses is the client's to report
    }
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      for (Watcher.Event.KeeperState s; (s = states.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS))
          != null; ) {
        if (s == Watcher.Event.KeeperState.SaslAuthenticated) {
          return;
        }
        if (s == Watcher.Event.KeeperState.AuthFailed) {
          throw new ZooKeeperSaslException("ZooKeeper at " + connect + " refused the SASL login of "
              + settings.describeIdentity() + ": check the password there, that ZooKeeper's JAAS Server section"
              + " has the user (user_<name>=\"<password>\"), and that ZooKeeper enables SASL"
              + " (authProvider.sasl; the embedded one: zookeeper.embedded.sasl.enable)");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        zk.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The servers of a connect string {@code host:port[,host:port...][/chroot]}. */
  static List<InetSocketAddress> servers(String connect) {
    int chroot = connect.indexOf('/');
    String hosts = chroot < 0 ? connect : connect.substring(0, chroot);
    List<InetSocketAddress> out = new ArrayList<>();
    for (String hostPort : hosts.split(",")) {
      String h = hostPort.trim();
      int colon = h.lastIndexOf(':');
      int port = colon < 0 ? 2181 : Integer.parseInt(h.substring(colon + 1));
      String host = colon < 0 ? h : h.substring(0, colon);
      out.add(new InetSocketAddress(host.replace("[", "").replace("]", ""), port));
    }
    return out;
  }

  /** ZooKeeper refused this client a znode: the message names the identity and the settings. */
  public static final class ZooKeeperAccessException extends IllegalStateException {
    ZooKeeperAccessException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** ZooKeeper refused the SASL login: the message names the user and the settings to check. */
  public static final class ZooKeeperSaslException extends IllegalStateException {
    ZooKeeperSaslException(String message) {
      super(message);
    }
  }

  /** ZooKeeper's TLS refused: the message names the settings to check. */
  public static final class ZooKeeperTlsException extends IllegalStateException {
    ZooKeeperTlsException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
