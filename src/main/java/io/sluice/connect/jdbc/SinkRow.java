package io.sluice.connect.jdbc;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/** One record as the sink writes it: its table, key columns, other columns, and whether it deletes. */
record SinkRow(String table, List<Column> key, List<Column> values, boolean delete) {
  /** A column's name, schema and value. */
  record Column(String name, Schema schema, Object value) {
  }

  /** The row of {@code r} under {@code pk.mode}/{@code pk.fields}; fails with what to fix when it has none. */
  static SinkRow of(SinkRecord r, String tableFormat, String pkMode, List<String> pkFields, boolean deleteEnabled) {
    String table = tableFormat.replace("${topic}", r.topic());
    if (r.value() == null) {
      if (!deleteEnabled) {
        throw new ConnectException("Record at " + where(r) + " has a null value (a tombstone), but delete.enabled"
            + " is false: enable it (with pk.mode=record_key) or filter tombstones out");
      }
      return new SinkRow(table, keyColumns(r, pkFields), List.of(), true);
    }
    if (!(r.value() instanceof Struct value)) {
      throw new ConnectException("Record at " + where(r) + " has a value without a struct schema ("
          + r.value().getClass().getSimpleName() + "): the JDBC sink needs one (e.g. JsonConverter with"
          + " schemas.enable=true)");
    }
    List<Column> key = switch (pkMode) {
      case "record_key" -> keyColumns(r, pkFields);
      case "record_value" -> fieldsOf(value, pkFields);
      case "kafka" -> List.of(
          new Column(name(pkFields, 0, "__connect_topic"), Schema.STRING_SCHEMA, r.topic()),
          new Column(name(pkFields, 1, "__connect_partition"), Schema.INT32_SCHEMA, r.kafkaPartition()),
          new Column(name(pkFields, 2, "__connect_offset"), Schema.INT64_SCHEMA, r.kafkaOffset()));
      default -> List.of();
    };
    List<Column> rest = new ArrayList<>();
    for (Field f : value.schema().fields()) {
      if (key.stream().noneMatch(k -> k.name().equals(f.name()))) {
        rest.add(new Column(f.name(), f.schema(), value.get(f)));
      }
    }
    return new SinkRow(table, key, rest, false);
  }

  private static String name(List<String> pkFields, int i, String dflt) {
    return pkFields.size() > i ? pkFields.get(i) : dflt;
  }

  private static List<Column> keyColumns(SinkRecord r, List<String> pkFields) {
    if (r.key() == null) {
      throw new ConnectException("Record at " + where(r) + " has no key, but pk.mode=record_key needs one");
    }
    if (r.key() instanceof Struct key) {
      return fieldsOf(key, pkFields);
    }
    if (r.keySchema() == null || pkFields.size() != 1) {
      throw new ConnectException("Record at " + where(r) + " has a primitive key: pk.fields must name its one"
          + " column, and the key needs a schema");
    }
    return List.of(new Column(pkFields.get(0), r.keySchema(), r.key()));
  }

  private static List<Column> fieldsOf(Struct s, List<String> names) {
    List<Column> out = new ArrayList<>();
    if (names.isEmpty()) {
      for (Field f : s.schema().fields()) {
        out.add(new Column(f.name(), f.schema(), s.get(f)));
      }
      return out;
    }
    for (String n : names) {
      Field f = s.schema().field(n);
      if (f == null) {
        throw new ConnectException("pk.fields names " + n + ", which is not a field of " + s.schema().fields()
            .stream().map(Field::name).toList());
      }
      out.add(new Column(n, f.schema(), s.get(f)));
    }
    return out;
  }

  private static String where(SinkRecord r) {
    return r.topic() + "-" + r.kafkaPartition() + "@" + r.kafkaOffset();
  }

  List<Column> all() {
    List<Column> out = new ArrayList<>(key);
    out.addAll(values);
    return out;
  }

  /** What identifies the SQL statement this row needs: rows with equal shapes share one batch. */
  String shape(String mode) {
    return table + "|" + (delete ? "delete" : mode) + "|" + all().stream().map(Column::name).toList();
  }
}
