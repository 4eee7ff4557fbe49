package io.sluice.connect.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connect.PostgresServer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A closed (revoked) partition's buffered records are dropped, not written at the next flush: the partition's new owner
 * delivers them again from the group's commit, and a late write of them could put an older value of a key back over a
 * newer one. The other partitions' records are still written.
 */
class JdbcSinkTaskCloseTest {
  private static final Schema ROW = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA)
      .field("seq", Schema.INT32_SCHEMA).build();
  private static PostgresServer pg;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  private static SinkRecord row(int partition, int id, int seq) {
    return new SinkRecord("close_rows", partition, null, null, ROW, new Struct(ROW).put("id", id).put("seq", seq),
        seq);
  }

  @Test
  void closeDropsTheClosedPartitionsBufferedRecords() throws Exception {
    JdbcSinkTask task = new JdbcSinkTask();
    task.start(Map.of("connection.url", pg.url(), "connection.user", PostgresServer.USER, "connection.password",
        PostgresServer.PASSWORD, "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "id",
        "auto.create", "true", "batch.size", "1000"));
    try {
      task.put(List.of(row(0, 1, 10), row(1, 2, 20), row(0, 1, 11)));
      task.close(List.of(new TopicPartition("close_rows", 0)));
      task.flush(Map.of());
      assertThat(pg.rows("SELECT id, seq FROM close_rows ORDER BY id")).containsExactly("2|20");
    } finally {
      task.stop();
    }
  }
}
