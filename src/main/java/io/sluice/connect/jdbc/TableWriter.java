package io.sluice.connect.jdbc;

import io.sluice.connect.jdbc.JdbcConnection.TableId;
import io.sluice.connect.jdbc.SinkRow.Column;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Writes sink rows: first the tables are created or widened as the records' schemas need (committed on their own,
 * DDL being no part of the data's transaction), then every row in one transaction, consecutive rows of one shape in
 * one JDBC batch, in record order so the last change of a key wins.
 */
final class TableWriter {
  private final String insertMode;
  private final String pkMode;
  private final List<String> pkFields;
  private final boolean deleteEnabled;
  private final boolean autoCreate;
  private final boolean autoEvolve;
  private final String tableFormat;
  /** Known columns of each table, so the catalog is read once per table and again only after DDL. */
  private final Map<String, Set<String>> columns = new HashMap<>();

  TableWriter(AbstractConfig config) {
    insertMode = config.getString(JdbcSinkConnector.INSERT_MODE);
    pkMode = config.getString(JdbcSinkConnector.PK_MODE);
    pkFields = config.getList(JdbcSinkConnector.PK_FIELDS);
    deleteEnabled = config.getBoolean(JdbcSinkConnector.DELETE_ENABLED);
    autoCreate = config.getBoolean(JdbcSinkConnector.AUTO_CREATE);
    autoEvolve = config.getBoolean(JdbcSinkConnector.AUTO_EVOLVE);
    tableFormat = config.getString(JdbcSinkConnector.TABLE_FORMAT);
  }

  void write(Connection c, List<SinkRecord> records) throws SQLException {
    List<SinkRow> rows = new ArrayList<>(records.size());
    for (SinkRecord r : records) {
      rows.add(SinkRow.of(r, tableFormat, pkMode, pkFields, deleteEnabled));
    }
    for (SinkRow row : rows) {
      if (!row.delete()) {
        ensureTable(c, row);
      }
    }
    c.commit();
    String shape = null;
    PreparedStatement ps = null;
    try {
      for (SinkRow row : rows) {
        String s = row.shape(insertMode);
        if (!s.equals(shape)) {
          execute(ps);
          ps = c.prepareStatement(sql(c, row));
          shape = s;
        }
        bind(ps, row);
        ps.addBatch();
      }
      execute(ps);
    } finally {
      if (ps != null) {
        ps.close();
      }
    }
    c.commit();
  }

  private static void execute(PreparedStatement ps) throws SQLException {
    if (ps != null) {
      ps.executeBatch();
      ps.close();
    }
  }

  private void ensureTable(Connection c, SinkRow row) throws SQLException {
    Set<String> known = columns.get(row.table());
    if (known == null) {
      known = new HashSet<>(JdbcConnection.columns(c, TableId.parse(row.table())));
      if (known.isEmpty()) {
        create(c, row);
        known = new HashSet<>(JdbcConnection.columns(c, TableId.parse(row.table())));
      }
      columns.put(row.table(), known);
    }
    List<Column> missing = row.all().stream().filter(col -> !columnExists(columns.get(row.table()), col.name()))
        .toList();
    if (missing.isEmpty()) {
      return;
    }
    if (!autoEvolve) {
      throw new ConnectException("Table " + row.table() + " has no column " + missing.stream().map(Column::name)
          .toList() + " and auto.evolve is false: add the columns or set auto.evolve=true");
    }
    try (Statement st = c.createStatement()) {
      for (Column col : missing) {
        if (!col.schema().isOptional() && col.schema().defaultValue() == null) {
          throw new ConnectException("Cannot add column " + col.name() + " to " + row.table() + ": auto.evolve adds"
              + " only nullable columns, and the field is required without a default");
        }
        st.execute("ALTER TABLE " + TableId.parse(row.table()).quoted(c) + " ADD " + JdbcConnection.quote(c,
            col.name()) + " " + SqlTypes.sqlType(col.schema()));
      }
    }
    columns.put(row.table(), new HashSet<>(JdbcConnection.columns(c, TableId.parse(row.table()))));
  }

  private static boolean columnExists(Set<String> known, String name) {
    return known.contains(name) || known.stream().anyMatch(k -> k.equalsIgnoreCase(name));
  }

  private void create(Connection c, SinkRow row) throws SQLException {
    if (!autoCreate) {
      throw new ConnectException("Table " + row.table() + " does not exist and auto.create is false: create it or"
          + " set auto.create=true");
    }
    List<String> defs = new ArrayList<>();
    for (Column col : row.all()) {
      boolean key = row.key().contains(col);
      defs.add(JdbcConnection.quote(c, col.name()) + " " + SqlTypes.sqlType(col.schema())
          + (key || !col.schema().isOptional() ? " NOT NULL" : ""));
    }
    if (!row.key().isEmpty()) {
      defs.add("PRIMARY KEY(" + quoted(c, row.key()) + ")");
    }
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + TableId.parse(row.table()).quoted(c) + " (" + String.join(", ", defs) + ")");
    }
  }

  private String sql(Connection c, SinkRow row) throws SQLException {
    String table = TableId.parse(row.table()).quoted(c);
    String where = String.join(" AND ", row.key().stream().map(k -> q(c, k.name()) + " = ?").toList());
    if (row.delete()) {
      return "DELETE FROM " + table + " WHERE " + where;
    }
    if (insertMode.equals("update")) {
      return "UPDATE " + table + " SET " + String.join(", ", row.values().stream().map(v -> q(c, v.name())
          + " = ?").toList()) + " WHERE " + where;
    }
    String insert = "INSERT INTO " + table + " (" + quoted(c, row.all()) + ") VALUES ("
        + String.join(", ", row.all().stream().map(x -> "?").toList()) + ")";
    if (insertMode.equals("insert")) {
      return insert;
    }
    if (!JdbcConnection.isPostgres(c)) {
      throw new ConnectException("insert.mode=upsert is implemented for PostgreSQL (ON CONFLICT); this database is "
          + c.getMetaData().getDatabaseProductName());
    }
    return insert + " ON CONFLICT (" + quoted(c, row.key()) + ") " + (row.values().isEmpty() ? "DO NOTHING"
        : "DO UPDATE SET " + String.join(", ", row.values().stream().map(v -> q(c, v.name()) + " = EXCLUDED."
            + q(c, v.name())).toList()));
  }

  private void bind(PreparedStatement ps, SinkRow row) throws SQLException {
    List<Column> order = new ArrayList<>();
    if (row.delete()) {
      order.addAll(row.key());
    } else if (insertMode.equals("update")) {
      order.addAll(row.values());
      order.addAll(row.key());
    } else {
      order.addAll(row.all());
    }
    for (int i = 0; i < order.size(); i++) {
      SqlTypes.bind(ps, i + 1, order.get(i).schema(), order.get(i).value());
    }
  }

  private static String quoted(Connection c, List<Column> cols) throws SQLException {
    List<String> out = new ArrayList<>();
    for (Column col : cols) {
      out.add(JdbcConnection.quote(c, col.name()));
    }
    return String.join(", ", out);
  }

  private static String q(Connection c, String name) {
    try {
      return JdbcConnection.quote(c, name);
    } catch (SQLException e) {
      throw new ConnectException(e);
    }
  }
}
