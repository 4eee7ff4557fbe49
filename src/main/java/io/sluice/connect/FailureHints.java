package io.sluice.connect;

import java.util.List;
import java.util.Map;

/**
 * A line saying what to fix, put before a FAILED status's stack trace when a failure's cause is a known misconfiguration
 * of the database a connector talks to. Debezium's own messages name the database's complaint (a failed password, the
 * server's wal_level) but not which connector setting or server setting to change; a user reading the status should not
 * have to know Debezium's internals to get there.
 */
final class FailureHints {
  private record Hint(String cause, String fix) {
  }

  private static final List<Hint> HINTS = List.of(
      new Hint("password authentication failed", "the database refused the credentials: check %1$s and %2$s"),
      new Hint("wal_level", "change data capture needs logical decoding: set wal_level = logical on the PostgreSQL"
          + " server (postgresql.conf or ALTER SYSTEM SET wal_level = logical) and restart it"),
      new Hint("No table filters found for filtered publication", "table.include.list matches no table of the"
          + " database: create the table first or correct table.include.list (schema.table, e.g. public.orders)"),
      new Hint("is active for PID", "another client is using the replication slot: give this connector its own"
          + " slot.name"),
      new Hint("must be superuser or replication role", "the database user may not use logical replication: grant"
          + " it REPLICATION (ALTER ROLE ... REPLICATION) or use another database.user"),
      new Hint("Connection refused", "nothing listens at the database's address: check %3$s and that the server is"
          + " up"));

  private FailureHints() {
  }

  /** The status trace of failure {@code t}: a "What to fix:" line when the cause is known, then the stack trace. */
  static String trace(Throwable t, Map<String, String> connectorConfig) {
    String stack = RecordErrors.stackTrace(t);
    String hint = hint(t, connectorConfig);
    return hint == null ? stack : "What to fix: " + hint + "\n" + stack;
  }

  static String hint(Throwable t, Map<String, String> config) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c.getMessage() != null && c.getMessage().contains("(check ")) {
        return null; // Sluice's own connectors already say which setting to check
      }
    }
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String hint = c.getMessage() == null ? null : hint(c.getMessage(), config);
      if (hint != null) {
        return hint;
      }
    }
    return null;
  }

  /** What to fix for an error {@code message} (a failure's, or a config validation's), or null if not known. */
  static String hint(String message, Map<String, String> config) {
    if (message.contains("(check ")) {
      return null;
    }
    boolean debezium = config.keySet().stream().anyMatch(k -> k.startsWith("database."));
    for (Hint h : HINTS) {
      if (message.contains(h.cause())) {
        return debezium ? String.format(h.fix(), "database.user", "database.password",
            "database.hostname and database.port") : String.format(h.fix(), "connection.user",
            "connection.password", "connection.url");
      }
    }
    return null;
  }
}
