package io.sluice.connect.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.errors.ConnectException;

/** The connection settings both JDBC connectors share (Confluent's keys), and helpers on a connection's metadata. */
final class JdbcConnection {
  static final String URL = "connection.url";
  static final String USER = "connection.user";
  static final String PASSWORD = "connection.password";

  private JdbcConnection() {
  }

  static ConfigDef define(ConfigDef def) {
    return def
        .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
            "JDBC URL of the database, e.g. jdbc:postgresql://127.0.0.1:5432/app. The driver must be on the"
                + " broker's class path (PostgreSQL's comes with the broker).")
        .define(USER, Type.STRING, null, Importance.HIGH, "Database user.")
        .define(PASSWORD, Type.PASSWORD, null, Importance.HIGH, "Database password.");
  }

  /** Opens a connection, failing with a message that says which setting to check. */
  static Connection open(Map<String, String> props) {
    String url = props.get(URL);
    try {
      Connection c = DriverManager.getConnection(url, props.get(USER), props.get(PASSWORD));
      if (c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
        try (var st = c.createStatement()) {
          st.execute("SET TIME ZONE 'UTC'"); // dates and times are read and written in UTC (Confluent's db.timezone)
        }
      }
      return c;
    } catch (SQLException e) {
      throw new ConnectException("Cannot connect to " + url + " as " + props.get(USER) + ": " + e.getMessage()
          + " (check " + URL + ", " + USER + " and " + PASSWORD + ")", e);
    }
  }

  static boolean isPostgres(Connection c) throws SQLException {
    return c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
  }

  /** {@code schema.table} names of the user tables of the database (system schemas left out). */
  static List<TableId> tables(Connection c) throws SQLException {
    List<TableId> out = new ArrayList<>();
    try (ResultSet rs = c.getMetaData().getTables(c.getCatalog(), null, "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        String schema = rs.getString("TABLE_SCHEM");
        if (schema != null && (schema.equals("information_schema") || schema.startsWith("pg_"))) {
          continue;
        }
        out.add(new TableId(schema, rs.getString("TABLE_NAME")));
      }
    }
    return out;
  }

  /** The primary key's columns of {@code table}, in key order. */
  static List<String> primaryKey(Connection c, TableId table) throws SQLException {
    java.util.TreeMap<Short, String> cols = new java.util.TreeMap<>();
    try (ResultSet rs = c.getMetaData().getPrimaryKeys(c.getCatalog(), table.schema(), table.table())) {
      while (rs.next()) {
        cols.put(rs.getShort("KEY_SEQ"), rs.getString("COLUMN_NAME"));
      }
    }
    return new ArrayList<>(cols.values());
  }

  /** Column names of {@code table} as the database stores them; empty when it does not exist. */
  static List<String> columns(Connection c, TableId table) throws SQLException {
    List<String> out = new ArrayList<>();
    DatabaseMetaData md = c.getMetaData();
    try (ResultSet rs = md.getColumns(c.getCatalog(), table.schema(), table.table(), "%")) {
      while (rs.next()) {
        out.add(rs.getString("COLUMN_NAME"));
      }
    }
    return out;
  }

  static String quote(Connection c, String identifier) throws SQLException {
    String q = c.getMetaData().getIdentifierQuoteString();
    q = q == null || q.isBlank() ? "" : q.trim();
    return q + identifier.replace(q.isEmpty() ? "\u0000" : q, q + q) + q;
  }

  /** A table's schema (may be null) and name. */
  record TableId(String schema, String table) {
    static TableId parse(String name) {
      int dot = name.indexOf('.');
      return dot < 0 ? new TableId(null, name) : new TableId(name.substring(0, dot), name.substring(dot + 1));
    }

    String qualified() {
      return schema == null ? table : schema + "." + table;
    }

    String quoted(Connection c) throws SQLException {
      return (schema == null ? "" : quote(c, schema) + ".") + quote(c, table);
    }

    boolean matches(String name) {
      return name.equals(table) || name.equals(qualified());
    }
  }
}
