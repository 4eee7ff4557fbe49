package io.sluice.connect.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Buffers records and writes them in one transaction when {@code batch.size} are buffered or the worker flushes
 * (before it commits offsets): the offsets the worker commits are only ever those of committed rows, so a crash makes
 * it deliver uncommitted rows again, never skip them. Runs on the task's thread.
 */
public final class JdbcSinkTask extends SinkTask {
  private Map<String, String> props;
  private Connection connection;
  private TableWriter writer;
  private int batchSize;
  private final List<SinkRecord> buffer = new ArrayList<>();

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
    AbstractConfig config = new AbstractConfig(JdbcSinkConnector.CONFIG, props);
    JdbcSinkConnector.check(config);
    batchSize = config.getInt(JdbcSinkConnector.BATCH_SIZE);
    writer = new TableWriter(config);
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    buffer.addAll(records);
    if (buffer.size() >= batchSize) {
      write();
    }
  }

  @Override
  public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    write();
  }

  private void write() {
    if (buffer.isEmpty()) {
      return;
    }
    try {
      if (connection == null || !connection.isValid(5)) {
        close();
        connection = JdbcConnection.open(props);
        connection.setAutoCommit(false);
      }
      writer.write(connection, buffer);
      buffer.clear();
    } catch (SQLException e) {
      rollback();
      throw new ConnectException("Writing " + buffer.size() + " records failed, rolled back: " + e.getMessage()
          + (e.getNextException() != null ? " (" + e.getNextException().getMessage() + ")" : ""), e);
    }
  }

  private void rollback() {
    try {
      if (connection != null) {
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // the connection is broken: it is reopened on the next write
    }
  }

  private void close() {
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // closing a broken connection
    }
    connection = null;
  }

  /**
   * Drops what is buffered of partitions the task no longer owns: their offsets were not committed, so their next
   * owner delivers them again from the group's commit; writing them later could land an older value of a key after
   * the new owner wrote a newer one.
   */
  @Override
  public void close(Collection<TopicPartition> partitions) {
    buffer.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.kafkaPartition())));
  }

  @Override
  public void stop() {
    close(); // unflushed records were not committed: the worker delivers them again
  }

  @Override
  public String version() {
    return AppInfoParser.getVersion();
  }
}
