package io.sluice.streams.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateMemoryTest {
  private static final long BUDGET = 8L << 20;

  @TempDir
  Path dir;

  @Test
  void everyStoreIsChargedToTheOneSharedBudget() {
    try (StateMemory memory = new StateMemory(BUDGET)) {
      RocksKv a = RocksKv.openEmpty(dir.resolve("a"), memory);
      RocksKv b = RocksKv.openEmpty(dir.resolve("b"), memory);
      try {
        for (RocksKv kv : List.of(a, b)) {
          // One cache of the budget, not a default cache per store.
          assertThat(kv.property("rocksdb.block-cache-capacity")).isEqualTo(BUDGET);
        }
        write(a, 2_000);
        long usage = a.property("rocksdb.block-cache-usage");
        assertThat(usage).as("memtables are charged to the cache").isPositive();
        write(b, 2_000);
        assertThat(b.property("rocksdb.block-cache-usage")).as("b sees the one cache a is charged to")
            .isEqualTo(a.property("rocksdb.block-cache-usage")).isGreaterThanOrEqualTo(usage);
      } finally {
        a.close();
        b.close();
      }
    }
  }

  @Test
  void aStoreOutlivesTheBudgetObjectItWasOpenedWith() {
    StateMemory memory = new StateMemory(BUDGET);
    RocksKv kv = RocksKv.openEmpty(dir.resolve("s"), memory);
    try {
      memory.close();
      write(kv, 500);
      assertThat(new String(kv.get(key(499)), StandardCharsets.UTF_8)).isEqualTo("v499");
    } finally {
      kv.close();
    }
  }

  @Test
  void aBudgetTooSmallForRocksDbIsRefused() {
    assertThatThrownBy(() -> new StateMemory(StateMemory.MIN_BYTES - 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least " + StateMemory.MIN_BYTES);
  }

  private static void write(RocksKv kv, int n) {
    List<Kv.Change> changes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      changes.add(new Kv.Change(key(i), ("v" + i).getBytes(StandardCharsets.UTF_8)));
    }
    kv.write(changes);
  }

  private static byte[] key(int i) {
    return ("k" + i).getBytes(StandardCharsets.UTF_8);
  }

  /** A kept store reopens with what it was written (its write-ahead log) and is deleted only by close(). */
  @Test
  void aKeptStoreReopensWithItsContentAndAnEmptyOneStartsEmpty() {
    try (StateMemory memory = new StateMemory(BUDGET)) {
      RocksKv kept = RocksKv.openKept(dir.resolve("k"), memory);
      kept.write(List.of(new Kv.Change("a".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8))));
      kept.closeKeeping();
      RocksKv again = RocksKv.openKept(dir.resolve("k"), memory);
      assertThat(again.get("a".getBytes(StandardCharsets.UTF_8))).isEqualTo("1".getBytes(StandardCharsets.UTF_8));
      again.close();
      RocksKv wiped = RocksKv.openKept(dir.resolve("k"), memory);
      assertThat(wiped.get("a".getBytes(StandardCharsets.UTF_8))).isNull();
      wiped.close();
    }
  }
}
