package io.sluice.connect;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, throwaway PostgreSQL server for tests: Debian's {@code postgresql} package (installed by {@code .ci/run}),
 * {@code initdb} into a temporary directory and {@code pg_ctl start} on a free loopback port. As root it runs as the
 * {@code postgres} user (initdb refuses root). Without PostgreSQL installed it fails, saying so; it never skips.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "postgres";
  public static final String PASSWORD = "sluice-test";
  private final Path dir;
  private final Path bin;
  private final int port;
  private final boolean asPostgres;

  private PostgresServer(Path dir, Path bin, int port, boolean asPostgres) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** A started server with {@code wal_level=logical}. */
  public static PostgresServer start() throws Exception {
    return start("logical");
  }

  public static PostgresServer start(String walLevel) throws Exception {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("sluice-pg");
    if (root) {
      UserPrincipal pg = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
      Files.setOwner(dir, pg);
    }
    int port = freePort();
    PostgresServer server = new PostgresServer(dir, bin, port, root);
    Path pwfile = dir.resolve("pw");
    Files.writeString(pwfile, PASSWORD);
    if (root) {
      Files.setOwner(pwfile, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER));
    }
    server.run("initdb", "-D", dir.resolve("data").toString(), "-U", USER, "--auth-local=trust",
        "--auth-host=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--no-sync");
    server.run("pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60",
        "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c wal_level=" + walLevel
            + " -c max_replication_slots=8 -c max_wal_senders=8 -c fsync=off -c synchronous_commit=off"
            + " -c full_page_writes=off -c shared_buffers=32MB -c max_connections=40",
        "start");
    return server;
  }

  private static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        var found = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
            .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString()
                .replaceAll("\\D", "0"))));
        if (found.isPresent()) {
          return found.get();
        }
      } catch (IOException ignored) {
        // fall through to the failure below
      }
    }
    throw new AssertionError("PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): the"
        + " database tests need a real server; install Debian's package with `apt-get install -y postgresql`"
        + " (.ci/run does)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void run(String tool, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("runuser", "-u", USER, "--"));
    }
    cmd.add(bin.resolve(tool).toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      String log = Files.exists(dir.resolve("log")) ? Files.readString(dir.resolve("log")) : "";
      throw new IllegalStateException(tool + " failed: " + out + "\n" + log);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return url("postgres");
  }

  public String url(String db) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), USER, PASSWORD);
  }

  /** Runs statements, each committed. */
  public void execute(String... sql) throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  /** The rows of {@code sql}, each as its columns' string values joined by "|". */
  public List<String> rows(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect(); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          cols.add(rs.getString(i));
        }
        out.add(String.join("|", cols));
      }
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    try {
      run("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
