package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Kafka's own FileStream connectors (connect-file), by alias, run by the broker: file to topic to file. */
class FileStreamConnectorsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private ConnectTestSupport connect;

  @BeforeEach
  void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD,
        Map.of(io.sluice.config.BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString()));
  }

  @AfterEach
  void stop() throws Exception {
    connect.close();
  }

  @Test
  void everyLineOfTheSourceFileArrivesInTheSinkFileOnce() throws Exception {
    Path in = dir.resolve("in.txt");
    Path out = dir.resolve("out.txt");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      lines.add("line-" + i);
    }
    Files.write(in, lines);
    connect.create("file-source", new JsonObject().put("connector.class", "FileStreamSource")
        .put("file", in.toString()).put("topic", "lines")
        .put("value.converter", "org.apache.kafka.connect.storage.StringConverter"));
    connect.create("file-sink", new JsonObject().put("connector.class", "FileStreamSink")
        .put("file", out.toString()).put("topics", "lines")
        .put("value.converter", "org.apache.kafka.connect.storage.StringConverter"));
    ConnectTestSupport.await("all lines in the sink file", () -> readLines(out).size() >= lines.size());
    connect.awaitState("file-source", 0, "RUNNING");
    // Appended lines follow, as Kafka's FileStreamSource tails its file.
    Files.write(in, List.of("appended"), java.nio.file.StandardOpenOption.APPEND);
    ConnectTestSupport.await("appended line", () -> readLines(out).contains("appended"));
    List<String> expected = new ArrayList<>(lines);
    expected.add("appended");
    assertThat(readLines(out)).containsExactlyElementsOf(expected);
    assertThat(connect.get("/connectors/file-source/topics").json().getJsonObject("file-source")
        .getJsonArray("topics").stream().map(Object::toString)).containsExactly("lines");
    // Every line was polled and written by the source task and read and put by the sink task: its meters say so.
    String source = "{connector=\"file-source\",task=\"0\"}";
    String sink = "{connector=\"file-sink\",task=\"0\"}";
    ConnectTestSupport.await("the tasks' meters at /metrics", () -> {
      String metrics = metricsText();
      return metrics.contains("sluice_connect_source_records_polled_total" + source + " 501.0")
          && metrics.contains("sluice_connect_source_records_written_total" + source + " 501.0")
          && metrics.contains("sluice_connect_sink_records_read_total" + sink + " 501.0")
          && metrics.contains("sluice_connect_sink_records_put_total" + sink + " 501.0");
    });
    assertThat(metricsText()).contains("sluice_connect_task_restarts_total" + source + " 0.0");
  }

  private String metricsText() {
    try {
      return connect.get("/metrics").body();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> readLines(Path p) {
    try {
      return Files.exists(p) ? Files.readAllLines(p) : List.of();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }
}
