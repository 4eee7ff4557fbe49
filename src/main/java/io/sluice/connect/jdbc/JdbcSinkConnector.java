package io.sluice.connect.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Sluice's JDBC sink ({@code JdbcSink}), with the configuration keys of Confluent's JDBC sink connector: each record's
 * value (a struct with a schema) becomes a row of table {@code table.name.format}; {@code insert.mode} insert,
 * upsert ({@code ON CONFLICT} on PostgreSQL) or update; the key columns from {@code pk.mode}; a tombstone deletes the
 * row when {@code delete.enabled}; tables created and widened from the record's schema ({@code auto.create},
 * {@code auto.evolve}). Rows are written in one transaction per flush, and the worker commits the topic offsets only
 * after that transaction committed.
 */
public final class JdbcSinkConnector extends SinkConnector {
  static final String INSERT_MODE = "insert.mode";
  static final String PK_MODE = "pk.mode";
  static final String PK_FIELDS = "pk.fields";
  static final String DELETE_ENABLED = "delete.enabled";
  static final String AUTO_CREATE = "auto.create";
  static final String AUTO_EVOLVE = "auto.evolve";
  static final String TABLE_FORMAT = "table.name.format";
  static final String BATCH_SIZE = "batch.size";

  static final ConfigDef CONFIG = JdbcConnection.define(new ConfigDef())
      .define(INSERT_MODE, Type.STRING, "insert", ConfigDef.ValidString.in("insert", "upsert", "update"),
          Importance.HIGH, "insert: INSERT; upsert: INSERT ... ON CONFLICT (pk) DO UPDATE, so redelivery is"
              + " harmless; update: UPDATE ... WHERE pk.")
      .define(PK_MODE, Type.STRING, "none", ConfigDef.ValidString.in("none", "kafka", "record_key", "record_value"),
          Importance.HIGH, "Where the primary key comes from: none, kafka (topic, partition, offset), record_key,"
              + " record_value.")
      .define(PK_FIELDS, Type.LIST, "", Importance.MEDIUM, "The key's fields (all of the key's or value's when"
          + " empty); for a primitive record key, the one column's name.")
      .define(DELETE_ENABLED, Type.BOOLEAN, false, Importance.MEDIUM,
          "A record with a null value (tombstone) deletes the row of its key; needs pk.mode=record_key.")
      .define(AUTO_CREATE, Type.BOOLEAN, false, Importance.MEDIUM,
          "Create a missing table from the record's schema (CREATE TABLE with the primary key).")
      .define(AUTO_EVOLVE, Type.BOOLEAN, false, Importance.MEDIUM,
          "Add a column for a field the table lacks (ALTER TABLE ADD, nullable fields only).")
      .define(TABLE_FORMAT, Type.STRING, "${topic}", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "The table's name; ${topic} is replaced by the record's topic.")
      .define(BATCH_SIZE, Type.INT, 3000, ConfigDef.Range.between(1, 1_000_000), Importance.MEDIUM,
          "Records buffered before they are written, in one transaction, ahead of the next flush.");

  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    check(new AbstractConfig(CONFIG, props));
    this.props = props;
  }

  static void check(AbstractConfig config) {
    String pkMode = config.getString(PK_MODE);
    if (config.getBoolean(DELETE_ENABLED) && !pkMode.equals("record_key")) {
      throw new ConfigException(DELETE_ENABLED, true, "delete.enabled needs pk.mode=record_key (it is " + pkMode
          + ")");
    }
    String insert = config.getString(INSERT_MODE);
    if (!insert.equals("insert") && pkMode.equals("none")) {
      throw new ConfigException(PK_MODE, pkMode, "insert.mode=" + insert + " needs a primary key: set pk.mode");
    }
  }

  @Override
  public Class<? extends Task> taskClass() {
    return JdbcSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> out = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      out.add(props);
    }
    return out;
  }

  @Override
  public void stop() {
  }

  @Override
  public ConfigDef config() {
    return CONFIG;
  }

  @Override
  public String version() {
    return AppInfoParser.getVersion();
  }
}
