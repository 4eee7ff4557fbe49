package io.sluice.connect.jdbc;

import io.sluice.connect.jdbc.JdbcConnection.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Sluice's JDBC source ({@code JdbcSource}), with the configuration keys of Confluent's JDBC source connector: each
 * table's rows (or a query's) into topic {@code <topic.prefix><table>}, in mode {@code bulk} (every row every poll),
 * {@code incrementing}, {@code timestamp} or {@code timestamp+incrementing} (only new or changed rows, resuming from
 * the offset stored in {@code __connect_offsets}). Tables are spread over the tasks; the primary key is the key.
 */
public final class JdbcSourceConnector extends SourceConnector {
  static final String MODE = "mode";
  static final String INCREMENTING_COLUMN = "incrementing.column.name";
  static final String TIMESTAMP_COLUMN = "timestamp.column.name";
  static final String INCLUDE = "table.include.list";
  static final String EXCLUDE = "table.exclude.list";
  static final String WHITELIST = "table.whitelist";
  static final String BLACKLIST = "table.blacklist";
  static final String QUERY = "query";
  static final String TOPIC_PREFIX = "topic.prefix";
  static final String POLL_INTERVAL = "poll.interval.ms";
  static final String BATCH_MAX_ROWS = "batch.max.rows";
  static final String TIMESTAMP_DELAY = "timestamp.delay.interval.ms";
  static final String TASK_TABLES = "tables";

  static final ConfigDef CONFIG = JdbcConnection.define(new ConfigDef())
      .define(MODE, Type.STRING, "bulk", ConfigDef.ValidString.in("bulk", "incrementing", "timestamp",
          "timestamp+incrementing"), Importance.HIGH, "How rows are found on each poll: bulk (all rows),"
              + " incrementing (a strictly increasing column), timestamp (a last-modified column), or both.")
      .define(INCREMENTING_COLUMN, Type.STRING, "", Importance.MEDIUM, "The strictly increasing column.")
      .define(TIMESTAMP_COLUMN, Type.LIST, "", Importance.MEDIUM,
          "The last-modified column; with several, the first that is not null (COALESCE).")
      .define(INCLUDE, Type.LIST, "", Importance.MEDIUM, "Tables to copy (name or schema.name); empty: all.")
      .define(EXCLUDE, Type.LIST, "", Importance.MEDIUM, "Tables not to copy.")
      .define(WHITELIST, Type.LIST, "", Importance.LOW, "Older name of table.include.list.")
      .define(BLACKLIST, Type.LIST, "", Importance.LOW, "Older name of table.exclude.list.")
      .define(QUERY, Type.STRING, "", Importance.MEDIUM,
          "A query to run instead of copying tables; its rows go to the topic named by topic.prefix.")
      .define(TOPIC_PREFIX, Type.STRING, "", Importance.HIGH, "Prefix of each table's topic name.")
      .define(POLL_INTERVAL, Type.INT, 5000, ConfigDef.Range.atLeast(1), Importance.HIGH,
          "Milliseconds between polls of a table for new rows.")
      .define(BATCH_MAX_ROWS, Type.INT, 100, ConfigDef.Range.between(1, 100_000), Importance.LOW,
          "Rows one poll returns at most.")
      .define(TIMESTAMP_DELAY, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.HIGH,
          "How long after its timestamp a row is copied, so transactions in flight with older timestamps commit"
              + " first.");

  private Map<String, String> props;
  private List<String> tables;

  @Override
  public void start(Map<String, String> props) {
    AbstractConfig config = new AbstractConfig(CONFIG, props);
    check(config);
    this.props = props;
    if (!config.getString(QUERY).isBlank()) {
      tables = List.of();
      try (Connection c = JdbcConnection.open(props)) {
        return; // the connection is what a query needs checked now; the query itself is checked by the task
      } catch (SQLException e) {
        throw new ConnectException(e.getMessage(), e);
      }
    }
    try (Connection c = JdbcConnection.open(props)) {
      tables = select(JdbcConnection.tables(c), list(config, INCLUDE, WHITELIST), list(config, EXCLUDE, BLACKLIST));
    } catch (SQLException e) {
      throw new ConnectException("Cannot list the tables of " + props.get(JdbcConnection.URL) + ": " + e.getMessage(),
          e);
    }
  }

  private static void check(AbstractConfig config) {
    String mode = config.getString(MODE);
    if (mode.contains("incrementing") && config.getString(INCREMENTING_COLUMN).isBlank()) {
      throw new ConfigException(INCREMENTING_COLUMN, "", "mode " + mode + " needs " + INCREMENTING_COLUMN);
    }
    if (mode.contains("timestamp") && config.getList(TIMESTAMP_COLUMN).isEmpty()) {
      throw new ConfigException(TIMESTAMP_COLUMN, "", "mode " + mode + " needs " + TIMESTAMP_COLUMN);
    }
  }

  private static List<String> list(AbstractConfig config, String key, String older) {
    List<String> v = config.getList(key);
    return v.isEmpty() ? config.getList(older) : v;
  }

  /** The tables to copy; an included table that does not exist is an error that names it. */
  static List<String> select(List<TableId> all, List<String> include, List<String> exclude) {
    for (String wanted : include) {
      if (all.stream().noneMatch(t -> t.matches(wanted))) {
        throw new ConnectException("Table " + wanted + " in " + INCLUDE + " does not exist (tables: "
            + all.stream().map(TableId::qualified).toList() + ")");
      }
    }
    return all.stream()
        .filter(t -> include.isEmpty() || include.stream().anyMatch(t::matches))
        .filter(t -> exclude.stream().noneMatch(t::matches))
        .map(TableId::qualified).sorted().toList();
  }

  @Override
  public Class<? extends Task> taskClass() {
    return JdbcSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> out = new ArrayList<>();
    if (tables.isEmpty()) {
      out.add(new HashMap<>(props)); // a query (or no table yet): one task
      out.get(0).put(TASK_TABLES, "");
      return out;
    }
    int n = Math.min(maxTasks, tables.size());
    for (int i = 0; i < n; i++) {
      List<String> mine = new ArrayList<>();
      for (int j = i; j < tables.size(); j += n) {
        mine.add(tables.get(j));
      }
      Map<String, String> t = new HashMap<>(props);
      t.put(TASK_TABLES, String.join(",", mine));
      out.add(t);
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
