package io.sluice.connect.jdbc;

import io.sluice.connect.jdbc.JdbcConnection.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * Polls its tables in turn, each at most every {@code poll.interval.ms}, on the task's own thread (JDBC blocks; the
 * worker never runs a task on an event loop). Resumes each table from the offset the worker stored for it.
 */
public final class JdbcSourceTask extends SourceTask {
  private final Object wakeup = new Object();
  private volatile boolean stopping;
  private volatile Thread pollThread;
  private Map<String, String> props;
  private Connection connection;
  private final List<TableQuerier> queriers = new ArrayList<>();
  private int pollInterval;
  private int batchMaxRows;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
    AbstractConfig config = new AbstractConfig(JdbcSourceConnector.CONFIG, props);
    pollInterval = config.getInt(JdbcSourceConnector.POLL_INTERVAL);
    batchMaxRows = config.getInt(JdbcSourceConnector.BATCH_MAX_ROWS);
    String mode = config.getString(JdbcSourceConnector.MODE);
    String prefix = config.getString(JdbcSourceConnector.TOPIC_PREFIX);
    String query = config.getString(JdbcSourceConnector.QUERY);
    String inc = config.getString(JdbcSourceConnector.INCREMENTING_COLUMN);
    List<String> ts = config.getList(JdbcSourceConnector.TIMESTAMP_COLUMN);
    long delay = config.getLong(JdbcSourceConnector.TIMESTAMP_DELAY);
    if (!query.isBlank()) {
      queriers.add(new TableQuerier(mode, null, query, prefix, inc, ts, delay, stored(Map.of("query", query))));
    } else {
      for (String t : props.getOrDefault(JdbcSourceConnector.TASK_TABLES, "").split(",")) {
        if (!t.isBlank()) {
          TableId id = TableId.parse(t);
          queriers.add(new TableQuerier(mode, id, null, prefix + id.table(), inc, ts, delay,
              stored(Map.of("table", id.qualified()))));
        }
      }
    }
    connection = JdbcConnection.open(props);
  }

  private Map<String, Object> stored(Map<String, Object> partition) {
    return context.offsetStorageReader().offset(partition);
  }

  /**
   * Reads from the next table that is due, or waits for one (at most a second); returns null when it found nothing,
   * so the worker gets to commit offsets and notice a stop between polls.
   */
  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    pollThread = Thread.currentThread();
    long now = System.currentTimeMillis();
    TableQuerier due = null;
    long earliest = Long.MAX_VALUE;
    for (TableQuerier q : queriers) {
      if (q.reading() || q.nextPollAt <= now) {
        due = q;
        break;
      }
      earliest = Math.min(earliest, q.nextPollAt);
    }
    if (due == null) {
      synchronized (wakeup) {
        if (!stopping) {
          wakeup.wait(Math.max(1, Math.min(earliest - now, 1000)));
        }
      }
      return null;
    }
    List<SourceRecord> rows = read(due);
    if (!due.reading()) {
      due.nextPollAt = System.currentTimeMillis() + pollInterval;
      queriers.remove(due); // round robin: the table just polled goes last
      queriers.add(due);
    }
    return rows.isEmpty() ? null : rows;
  }

  private List<SourceRecord> read(TableQuerier q) {
    try {
      if (connection == null || !connection.isValid(5)) {
        closeConnection();
        connection = JdbcConnection.open(props);
      }
      return q.read(connection, batchMaxRows);
    } catch (SQLException e) {
      q.close();
      throw new ConnectException("Reading " + q.partition() + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Wakes a waiting poll; JDBC objects are closed only on the polling thread (the worker calls stop there last), so
   * a query in progress is never cut off under its reader.
   */
  @Override
  public void stop() {
    stopping = true;
    synchronized (wakeup) {
      wakeup.notifyAll();
    }
    if (pollThread == null || pollThread == Thread.currentThread()) {
      queriers.forEach(TableQuerier::close);
      closeConnection();
    }
  }

  private void closeConnection() {
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // closing a broken connection
    }
    connection = null;
  }

  @Override
  public String version() {
    return AppInfoParser.getVersion();
  }
}
