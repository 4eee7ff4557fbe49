package io.sluice.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of one upstream address, for network partitions in process-level tests: {@link #cut}
 * resets every connection through it and resets new ones at once until {@link #heal}, so the client sees its peer
 * vanish (and a ZooKeeper client's session expires if the cut outlasts it). {@link #hold} instead keeps every
 * connection open but passes no byte until {@link #release}, so the client sees a slow link: a ZooKeeper client
 * shorter held than two thirds of its session timeout stays connected and gets the held answers and watch events in
 * order afterwards. Two daemon threads per connection copy bytes; thread-safe.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;
  private final Object holdLock = new Object();
  private boolean held;

  TcpProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("tcp-proxy-" + port(), this::acceptLoop);
  }

  /** A proxy for a {@code host:port} address. */
  static TcpProxy to(String hostPort) throws IOException {
    int colon = hostPort.lastIndexOf(':');
    return new TcpProxy(new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1))));
  }

  int port() {
    return server.getLocalPort();
  }

  String address() {
    return "127.0.0.1:" + port();
  }

  /** Resets every connection and refuses new ones until {@link #heal}. */
  void cut() {
    cut = true;
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
  }

  void heal() {
    cut = false;
  }

  /** Passes no byte in either direction until {@link #release}; connections stay open and nothing is lost. */
  void hold() {
    synchronized (holdLock) {
      held = true;
    }
  }

  void release() {
    synchronized (holdLock) {
      held = false;
      holdLock.notifyAll();
    }
  }

  private void awaitRelease() throws IOException {
    synchronized (holdLock) {
      while (held) {
        try {
          holdLock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while held", e);
        }
      }
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException closed) {
        return;
      }
      if (cut) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket up = new Socket();
        up.connect(upstream, 2_000);
        open.add(client);
        open.add(up);
        daemon("tcp-proxy-up-" + port(), () -> pump(client, up));
        daemon("tcp-proxy-down-" + port(), () -> pump(up, client));
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n = in.read(buf); n >= 0 && !cut; n = in.read(buf)) {
        awaitRelease();
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      // the other side or a cut closed it: close both below
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.setSoLinger(true, 0); // a reset, as a dropped link looks to the peer sooner or later
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    release();
    cut();
    server.close();
  }
}
