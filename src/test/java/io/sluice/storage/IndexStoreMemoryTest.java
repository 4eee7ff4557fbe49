package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index database's memory is bounded by {@code log.index.memory.bytes}: one shared block cache of that size,
 * the memtables charged to it. Before, each column family had its own default cache and two 16 MiB memtables.
 */
class IndexStoreMemoryTest {
  @TempDir
  Path dir;

  @Test
  void memtablesStayWithinTheBoundWhileWritesGoOn() throws Exception {
    long bound = 8L << 20;
    try (LogManagerCloser store = new LogManagerCloser(IndexStore.open(dir.resolve(".index"), bound))) {
      assertThat(store.index.cacheCapacity()).isEqualTo(bound);
      byte[] value = new byte[1_000];
      for (int i = 0; i < 24_000; i++) { // 24 MB through the memtables, three times the bound
        byte[] key = ByteBuffer.allocate(8).putLong(i).array();
        store.index.use(db -> {
          db.put(store.index.offsetCf, store.index.asyncWrites, key, value);
          return null;
        });
        if (i % 1_000 == 0) {
          assertThat(store.index.<Long>use(db -> db.getAggregatedLongProperty("rocksdb.cur-size-all-mem-tables")).longValue())
              .as("memtable bytes after %d writes", i).isLessThanOrEqualTo(bound);
        }
      }
    }
  }

  @Test
  void aBoundBelowTheLeastIsRefused() {
    assertThatThrownBy(() -> BrokerConfig.of(Map.of(BrokerConfig.LOG_INDEX_MEMORY_BYTES, 1_000)))
        .isInstanceOf(ConfigException.class).hasMessageContaining(BrokerConfig.LOG_INDEX_MEMORY_BYTES);
    assertThat(BrokerConfig.of(Map.of(BrokerConfig.LOG_INDEX_MEMORY_BYTES, 64L << 20))
        .getLong(BrokerConfig.LOG_INDEX_MEMORY_BYTES)).isEqualTo(64L << 20);
    assertThatThrownBy(() -> IndexStore.open(dir.resolve(".small"), 1_000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Closes the store after the test. */
  private record LogManagerCloser(IndexStore index) implements AutoCloseable {
    @Override
    public void close() {
      index.close();
    }
  }
}
