package io.sluice.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteBehindKvTest {
  @TempDir
  Path dir;

  /**
   * Random puts, deletes, gets, bounded scans and flushes through the buffer over RocksDB, checked at every step
   * against a plain map; the store beneath holds exactly what was flushed.
   */
  @Test
  void readsThroughTheBufferMatchAMapAndTheStoreGetsOnlyWhatWasFlushed() {
    for (long seed = 1; seed <= 5; seed++) {
      Random random = new Random(seed);
      try (StateMemory memory = new StateMemory(8L << 20)) {
        RocksKv rocks = RocksKv.openEmpty(dir.resolve("s" + seed), memory);
        WriteBehindKv kv = new WriteBehindKv(rocks);
        TreeMap<byte[], byte[]> model = new TreeMap<>(Bytes.ORDER);
        TreeMap<byte[], byte[]> flushed = new TreeMap<>(Bytes.ORDER);
        for (int step = 0; step < 3_000; step++) {
          byte[] key = {'K', (byte) random.nextInt(64)};
          int op = random.nextInt(10);
          if (op < 4) {
            byte[] value = {(byte) step, (byte) (step >> 8)};
            kv.write(List.of(new Kv.Change(key, value)));
            model.put(key, value);
          } else if (op < 6) {
            kv.write(List.of(new Kv.Change(key, null)));
            model.remove(key);
          } else if (op < 8) {
            assertThat(kv.get(key)).as("seed %d step %d", seed, step).isEqualTo(model.get(key));
          } else if (op < 9) {
            byte[] to = {'K', (byte) (key[1] + random.nextInt(32))};
            int limit = 1 + random.nextInt(8);
            assertThat(keys(kv.scan(key, to, limit))).as("seed %d step %d", seed, step)
                .isEqualTo(keys(model.subMap(key, true, to, false), limit));
          } else {
            kv.flush();
            flushed = new TreeMap<>(model);
            assertThat(kv.held()).isZero();
          }
          assertThat(keys(rocks.scan(new byte[] {'K'}, new byte[] {'L'}, 1_000)))
              .isEqualTo(keys(flushed, 1_000));
        }
        kv.close();
      }
    }
  }

  private static List<String> keys(List<Kv.Entry> entries) {
    List<String> out = new ArrayList<>();
    entries.forEach(e -> out.add(java.util.Arrays.toString(e.key()) + "=" + java.util.Arrays.toString(e.value())));
    return out;
  }

  private static List<String> keys(Map<byte[], byte[]> map, int limit) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : map.entrySet()) {
      if (out.size() == limit) {
        break;
      }
      out.add(java.util.Arrays.toString(e.getKey()) + "=" + java.util.Arrays.toString(e.getValue()));
    }
    return out;
  }
}
