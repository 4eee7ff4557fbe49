package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.streams.state.Kv;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The standby's rule against a plain model: over seeded random changelogs (this task's records with rising
 * sequences, bound markers after checkpoints, another task's records, gaps), a standby that read any prefix in any
 * chunks, plus a restore of the rest from {@link StandbyApplier#resumeFrom} to a checkpoint at or past its last
 * marker, gives exactly the store a restore from the beginning gives; and the standby never applies a record at or
 * above the latest bound it has seen.
 */
class StandbyApplierTest {
  private static final byte[] TASK = "s/in/0".getBytes(StandardCharsets.UTF_8);
  private static final byte[] OTHER = "s/in/1".getBytes(StandardCharsets.UTF_8);

  @Test
  void aStandbyPlusTheTailItLeavesRestoresExactlyTheCheckpointsState() {
    for (long seed = 0; seed < 300; seed++) {
      Random random = new Random(seed);
      List<Record> log = new ArrayList<>();
      long checkpoint = changelog(random, log);
      Map<String, String> expected = restore(new TreeMap<>(), log, 0, checkpoint);

      StandbyApplier standby = new StandbyApplier(TASK, 0);
      TreeMap<String, String> store = new TreeMap<>();
      int read = random.nextInt(log.size() + 1);
      long bound = Long.MIN_VALUE;
      for (int i = 0; i < read; ) {
        int n = Math.min(read - i, 1 + random.nextInt(5));
        List<Record> chunk = log.subList(i, i + n);
        for (Record r : chunk) {
          long b = header(r, RecordBatch.COMPACTION_BOUND_HEADER);
          bound = Math.max(bound, b);
        }
        long boundAfter = bound;
        for (Kv.Change c : standby.accept(chunk, chunk.get(n - 1).offset() + 1)) {
          String v = c.value() == null ? null : new String(c.value(), StandardCharsets.UTF_8);
          if (v != null) {
            assertThat(Long.parseLong(v.substring(v.indexOf('@') + 1))).as("seed %d", seed).isLessThan(boundAfter);
          }
          apply(store, c.key(), c.value());
        }
        i += n;
      }
      Map<String, String> restored = restore(store, log, standby.resumeFrom(), checkpoint);
      assertThat(restored).as("seed %d, read %d of %d", seed, read, log.size()).isEqualTo(expected);
    }
  }

  @Test
  void recordsPastTheBoundWaitForTheNextMarkerAndTheResumePointIsTheFirstOfThem() {
    StandbyApplier standby = new StandbyApplier(TASK, 10);
    List<Kv.Change> first = standby.accept(List.of(bound(10, 2L << 16), own(11, "a", 1L << 16, "old"),
        own(12, "a", 3L << 16, "new"), other(13, "a"), own(14, "b", 4L << 16, "b")), 15);
    assertThat(first).extracting(c -> new String(c.value(), StandardCharsets.UTF_8)).containsExactly("old@65536");
    assertThat(standby.heldBack()).isEqualTo(2);
    assertThat(standby.resumeFrom()).isEqualTo(12);
    List<Kv.Change> second = standby.accept(List.of(bound(15, 4L << 16)), 16);
    assertThat(second).extracting(c -> new String(c.value(), StandardCharsets.UTF_8)).containsExactly("new@196608");
    assertThat(standby.resumeFrom()).as("b's record (input 4) still waits").isEqualTo(14);
    assertThat(standby.position()).isEqualTo(16);
  }

  @Test
  void standbyReplicasIsZeroOrOneAndNamesItsStateTopic() {
    DefinitionParser parser = new DefinitionParser(new Expressions(4096, 1000), new StreamDefinition.Limits(64, 1000));
    String steps = ", \"steps\": [{\"group_by\": \"value.k\"}, {\"count\": {}}, {\"to\": \"o\"}]}";
    StreamDefinition d = parser.parse(new io.vertx.core.json.JsonObject("{\"name\": \"s\", \"inputs\": [\"i\"],"
        + " \"standby_replicas\": 1" + steps), null);
    assertThat(d.standbyReplicas()).isEqualTo(1);
    assertThat(d.stateTopic()).isEqualTo("s-repartition-0");
    for (String bad : new String[] {"2", "-1", "\"one\""}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> parser.parse(new io.vertx.core.json.JsonObject(
          "{\"name\": \"s\", \"inputs\": [\"i\"], \"standby_replicas\": " + bad + steps), null))
          .hasMessageContaining("standby_replicas: 0 or 1");
    }
  }

  /** A random changelog into {@code log}; answers a checkpoint at or past its last marker. */
  private static long changelog(Random random, List<Record> log) {
    long offset = 0;
    long input = 0;
    long checkpoint = 0;
    for (int step = 0; step < 40; step++) {
      offset += random.nextInt(3) == 0 ? 1 + random.nextInt(3) : 0; // gaps, as compaction leaves
      switch (random.nextInt(6)) {
        case 0 -> {
          checkpoint = Math.min(input, checkpoint + random.nextInt(4)); // checkpoints trail the input
          log.add(bound(offset++, checkpoint << 16));
        }
        case 1 -> log.add(other(offset++, "k" + random.nextInt(3)));
        default -> {
          input += 1 + random.nextInt(2);
          int changes = 1 + random.nextInt(2);
          for (int j = 0; j < changes; j++) {
            String key = "k" + random.nextInt(4);
            log.add(random.nextInt(8) == 0 ? tombstone(offset++, key, input << 16 | j)
                : own(offset++, key, input << 16 | j, "v" + input));
          }
        }
      }
    }
    return checkpoint + random.nextInt((int) (input - checkpoint) + 1);
  }

  /** What StoreRestorer does: this task's records from {@code from}, of inputs before {@code checkpoint}. */
  private static Map<String, String> restore(TreeMap<String, String> store, List<Record> log, long from,
      long checkpoint) {
    TreeMap<String, String> out = new TreeMap<>(store);
    for (Record r : log) {
      long seq = header(r, RecordBatch.SEQUENCE_HEADER);
      if (r.offset() >= from && seq >= 0 && java.util.Arrays.equals(task(r), TASK) && seq >>> 16 < checkpoint) {
        apply(out, r.key(), r.value());
      }
    }
    return out;
  }

  private static void apply(Map<String, String> store, byte[] key, byte[] value) {
    String k = new String(key, StandardCharsets.UTF_8);
    if (value == null) {
      store.remove(k);
    } else {
      store.put(k, new String(value, StandardCharsets.UTF_8));
    }
  }

  private static Record own(long offset, String key, long seq, String value) {
    return new Record(offset, 0, key.getBytes(StandardCharsets.UTF_8), (value + "@" + seq)
        .getBytes(StandardCharsets.UTF_8), headers(TASK, seq));
  }

  private static Record tombstone(long offset, String key, long seq) {
    return new Record(offset, 0, key.getBytes(StandardCharsets.UTF_8), null, headers(TASK, seq));
  }

  private static Record other(long offset, String key) {
    return new Record(offset, 0, key.getBytes(StandardCharsets.UTF_8), "other@0".getBytes(StandardCharsets.UTF_8),
        headers(OTHER, 0));
  }

  private static Record bound(long offset, long seq) {
    return new Record(offset, 0, null, null, List.of(Header.of(RecordBatch.COMPACTION_BOUND_HEADER,
        Long.toString(seq))));
  }

  private static List<Header> headers(byte[] task, long seq) {
    return List.of(new Header(TaskWriter.TASK_HEADER, task), Header.of(RecordBatch.SEQUENCE_HEADER,
        Long.toString(seq)));
  }

  private static byte[] task(Record r) {
    for (Header h : r.headers()) {
      if (h.key().equals(TaskWriter.TASK_HEADER)) {
        return h.value();
      }
    }
    return null;
  }

  private static long header(Record r, String name) {
    for (Header h : r.headers()) {
      if (h.key().equals(name)) {
        return Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
      }
    }
    return Long.MIN_VALUE;
  }
}
