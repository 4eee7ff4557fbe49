package io.sluice.connect;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/**
 * The replication slot of a Debezium PostgreSQL connector, for its status: how far the slot's confirmed position is
 * behind the server's WAL (the WAL the slot holds back). Blocking JDBC: called on the {@code sluice-connect} pool.
 */
final class ReplicationSlotProbe {
  static final String DEBEZIUM_POSTGRES = "io.debezium.connector.postgresql.PostgresConnector";
  private static final String QUERY = "SELECT active, confirmed_flush_lsn::text,"
      + " (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?";

  private ReplicationSlotProbe() {
  }

  /** {slot_name, active, confirmed_flush_lsn, lag_bytes}, or {slot_name, error} when it cannot be read. */
  static JsonObject probe(Map<String, String> config) {
    String slot = config.getOrDefault("slot.name", "debezium");
    JsonObject out = new JsonObject().put("slot_name", slot);
    String url = "jdbc:postgresql://" + config.getOrDefault("database.hostname", "localhost") + ":"
        + config.getOrDefault("database.port", "5432") + "/" + config.getOrDefault("database.dbname", "postgres");
    Properties props = new Properties();
    props.setProperty("user", config.getOrDefault("database.user", ""));
    props.setProperty("password", config.getOrDefault("database.password", ""));
    props.setProperty("loginTimeout", "3");
    props.setProperty("socketTimeout", "5");
    try (Connection c = DriverManager.getConnection(url, props); PreparedStatement ps = c.prepareStatement(QUERY)) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return out.put("error", "no replication slot " + slot + " (yet)");
        }
        return out.put("active", rs.getBoolean(1)).put("confirmed_flush_lsn", rs.getString(2))
            .put("lag_bytes", rs.getLong(3));
      }
    } catch (SQLException e) {
      return out.put("error", e.getMessage());
    }
  }
}
