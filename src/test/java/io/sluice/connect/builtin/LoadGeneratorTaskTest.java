package io.sluice.connect.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.junit.jupiter.api.Test;

/** The generator's limits: what one poll may hold, and rates a long cannot multiply out. */
class LoadGeneratorTaskTest {
  private static LoadGeneratorTask started(Map<String, String> props) {
    LoadGeneratorTask task = new LoadGeneratorTask();
    task.initialize(new SourceTaskContext() {
      @Override
      public Map<String, String> configs() {
        return props;
      }

      @Override
      public OffsetStorageReader offsetStorageReader() {
        return new OffsetStorageReader() {
          @Override
          public <T> Map<String, Object> offset(Map<String, T> partition) {
            return null;
          }

          @Override
          public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
            return Map.of();
          }
        };
      }

      @Override
      public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
        throw new UnsupportedOperationException("not used by the generator");
      }
    });
    task.start(props);
    return task;
  }

  /** 100,000 values of 10 MiB were made in one poll: a terabyte on the broker's heap. */
  @Test
  void aPollMakesAtMostItsByteBudgetOfValuesAndAtLeastOne() throws Exception {
    LoadGeneratorTask big = started(Map.of("topic", "t", "records.per.second", "0", "batch.size", "100000",
        "value.size.bytes", Integer.toString(10 << 20)));
    assertThat(big.poll()).hasSize(1);
    LoadGeneratorTask small = started(Map.of("topic", "t", "records.per.second", "0", "batch.size", "100000",
        "value.size.bytes", "100000"));
    assertThat(small.poll()).hasSize(LoadGeneratorTask.POLL_BYTES / 100_000);
  }

  /** Elapsed milliseconds times the rate overflowed a long: the generator then made nothing, for good. */
  @Test
  void theHighestRateStillMakesRecords() throws Exception {
    LoadGeneratorTask task = started(Map.of("topic", "t", "records.per.second", Long.toString(Long.MAX_VALUE),
        "batch.size", "10"));
    long deadline = System.nanoTime() + 10_000_000_000L;
    List<SourceRecord> got = null;
    while ((got == null || got.isEmpty()) && System.nanoTime() < deadline) {
      got = task.poll(); // a throttled poll returns null after a few ms; past the first millisecond it must not
    }
    assertThat(got).hasSize(10);
  }
}
