package io.sluice.connect.jdbc;

import io.sluice.connect.jdbc.JdbcConnection.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * One table's (or the query's) reading: the query of its mode from the last offset, kept open across polls so a
 * large result is read {@code batch.max.rows} at a time, as Confluent's source does. Not thread-safe: the task's
 * thread only.
 */
final class TableQuerier {
  private final String mode;
  private final TableId table;
  private final String query;
  private final String topic;
  private final String incrementing;
  private final List<String> timestampColumns;
  private final long delayMs;
  private final Map<String, Object> partition;
  private Long lastIncrementing;
  private Timestamp lastTimestamp;
  private PreparedStatement statement;
  private ResultSet results;
  private Schema valueSchema;
  private Schema keySchema;
  private List<String> keyColumns = List.of();
  private int incrementingIdx;
  private int timestampIdx;
  long nextPollAt;

  TableQuerier(String mode, TableId table, String query, String topic, String incrementing,
      List<String> timestampColumns, long delayMs, Map<String, Object> storedOffset) {
    this.mode = mode;
    this.table = table;
    this.query = query;
    this.topic = topic;
    this.incrementing = incrementing;
    this.timestampColumns = timestampColumns;
    this.delayMs = delayMs;
    this.partition = table == null ? Map.of("query", query) : Map.of("table", table.qualified());
    if (storedOffset != null) {
      Object inc = storedOffset.get("incrementing");
      lastIncrementing = inc == null ? null : ((Number) inc).longValue();
      Object ts = storedOffset.get("timestamp");
      if (ts != null) {
        lastTimestamp = new Timestamp(((Number) ts).longValue());
        lastTimestamp.setNanos(((Number) storedOffset.getOrDefault("timestamp_nanos", 0)).intValue());
      }
    }
  }

  Map<String, Object> partition() {
    return partition;
  }

  boolean reading() {
    return results != null;
  }

  /** Up to {@code max} rows; closes the result and returns fewer once it is exhausted. */
  List<SourceRecord> read(Connection c, int max) throws SQLException {
    if (results == null) {
      open(c);
    }
    List<SourceRecord> out = new ArrayList<>();
    while (out.size() < max && results.next()) {
      out.add(record());
    }
    if (out.size() < max) {
      close();
    }
    return out;
  }

  private void open(Connection c) throws SQLException {
    String from = table != null ? table.quoted(c) : "(" + query + ") sluice_query";
    String inc = incrementing.isEmpty() ? null : JdbcConnection.quote(c, incrementing);
    String ts = timestampExpression(c);
    String sql = switch (mode) {
      case "incrementing" -> "SELECT * FROM " + from + " WHERE " + inc + " > ? ORDER BY " + inc + " ASC";
      case "timestamp" -> "SELECT * FROM " + from + " WHERE " + ts + " > ? AND " + ts + " < ? ORDER BY " + ts
          + " ASC";
      case "timestamp+incrementing" -> "SELECT * FROM " + from + " WHERE " + ts + " < ? AND ((" + ts + " = ? AND "
          + inc + " > ?) OR " + ts + " > ?) ORDER BY " + ts + ", " + inc + " ASC";
      default -> "SELECT * FROM " + from;
    };
    // Autocommit off lets PostgreSQL's driver stream with a cursor instead of loading the whole result.
    c.setAutoCommit(false);
    statement = c.prepareStatement(sql);
    statement.setFetchSize(1000);
    Timestamp end = mode.contains("timestamp") ? databaseNowMinusDelay(c) : null;
    Timestamp since = lastTimestamp != null ? lastTimestamp : new Timestamp(0);
    long sinceInc = lastIncrementing != null ? lastIncrementing : -1;
    switch (mode) {
      case "incrementing" -> statement.setLong(1, sinceInc);
      case "timestamp" -> {
        statement.setTimestamp(1, since, (java.util.Calendar) SqlTypes.UTC.clone());
        statement.setTimestamp(2, end, (java.util.Calendar) SqlTypes.UTC.clone());
      }
      case "timestamp+incrementing" -> {
        statement.setTimestamp(1, end, (java.util.Calendar) SqlTypes.UTC.clone());
        statement.setTimestamp(2, since, (java.util.Calendar) SqlTypes.UTC.clone());
        statement.setLong(3, sinceInc);
        statement.setTimestamp(4, since, (java.util.Calendar) SqlTypes.UTC.clone());
      }
      default -> { }
    }
    results = statement.executeQuery();
    describe(c, results.getMetaData());
  }

  private String timestampExpression(Connection c) throws SQLException {
    if (timestampColumns.isEmpty()) {
      return null;
    }
    List<String> quoted = new ArrayList<>();
    for (String col : timestampColumns) {
      quoted.add(JdbcConnection.quote(c, col));
    }
    return quoted.size() == 1 ? quoted.get(0) : "COALESCE(" + String.join(", ", quoted) + ")";
  }

  private Timestamp databaseNowMinusDelay(Connection c) throws SQLException {
    try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT CURRENT_TIMESTAMP")) {
      rs.next();
      Timestamp now = rs.getTimestamp(1, (java.util.Calendar) SqlTypes.UTC.clone());
      Timestamp end = new Timestamp(now.getTime() - delayMs);
      end.setNanos(delayMs == 0 ? now.getNanos() : end.getNanos());
      return end;
    }
  }

  private void describe(Connection c, ResultSetMetaData md) throws SQLException {
    SchemaBuilder value = SchemaBuilder.struct().name(table != null ? table.table() : topic);
    for (int i = 1; i <= md.getColumnCount(); i++) {
      value.field(md.getColumnLabel(i), SqlTypes.schemaOf(md, i));
      if (md.getColumnLabel(i).equals(incrementing)) {
        incrementingIdx = i;
      }
      if (timestampColumns.contains(md.getColumnLabel(i)) && timestampIdx == 0) {
        timestampIdx = i;
      }
    }
    valueSchema = value.build();
    if (incrementingIdx == 0 && mode.contains("incrementing")) {
      throw new SQLException("Column " + incrementing + " (" + JdbcSourceConnector.INCREMENTING_COLUMN + ") is not"
          + " a column of " + (table != null ? table.qualified() : "the query"));
    }
    if (timestampIdx == 0 && mode.contains("timestamp")) {
      throw new SQLException("Column " + timestampColumns + " (" + JdbcSourceConnector.TIMESTAMP_COLUMN + ") is not"
          + " a column of " + (table != null ? table.qualified() : "the query"));
    }
    keyColumns = table == null ? List.of() : JdbcConnection.primaryKey(c, table);
    if (!keyColumns.isEmpty()) {
      SchemaBuilder key = SchemaBuilder.struct().name(valueSchema.name() + ".Key");
      for (String col : keyColumns) {
        key.field(col, valueSchema.field(col).schema());
      }
      keySchema = key.build();
    }
  }

  private SourceRecord record() throws SQLException {
    Struct value = new Struct(valueSchema);
    for (int i = 1; i <= valueSchema.fields().size(); i++) {
      var field = valueSchema.fields().get(i - 1);
      value.put(field, SqlTypes.read(results, i, field.schema()));
    }
    Map<String, Object> offset = advance();
    Struct key = null;
    if (keySchema != null) {
      key = new Struct(keySchema);
      for (String col : keyColumns) {
        key.put(col, value.get(col));
      }
    }
    return new SourceRecord(partition, offset, topic, null, keySchema, key, valueSchema, value);
  }

  /** Moves the offset past the current row; null in bulk mode, which has none. */
  private Map<String, Object> advance() throws SQLException {
    if (mode.equals("bulk")) {
      return null;
    }
    Map<String, Object> offset = new HashMap<>();
    if (incrementingIdx > 0) {
      lastIncrementing = results.getLong(incrementingIdx);
      offset.put("incrementing", lastIncrementing);
    }
    if (timestampIdx > 0 && mode.contains("timestamp")) {
      Timestamp ts = timestampValue();
      if (ts != null) {
        lastTimestamp = ts;
      }
      if (lastTimestamp != null) {
        offset.put("timestamp", lastTimestamp.getTime());
        offset.put("timestamp_nanos", lastTimestamp.getNanos());
      }
    }
    return offset;
  }

  private Timestamp timestampValue() throws SQLException {
    for (String col : timestampColumns) {
      Timestamp ts = results.getTimestamp(col, (java.util.Calendar) SqlTypes.UTC.clone());
      if (ts != null) {
        return ts;
      }
    }
    return null;
  }

  void close() {
    try {
      if (results != null) {
        results.close();
      }
      if (statement != null) {
        Connection c = statement.getConnection();
        statement.close();
        c.commit(); // ends the read transaction so the next query sees rows committed since
      }
    } catch (SQLException ignored) {
      // a broken connection is reopened by the task on its next poll
    } finally {
      results = null;
      statement = null;
      incrementingIdx = 0;
      timestampIdx = 0;
    }
  }
}
