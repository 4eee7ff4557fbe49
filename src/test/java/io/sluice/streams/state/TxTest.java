package io.sluice.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A record's walk over a store range: the stored entries merged with the record's own changes, lazily. */
class TxTest {
  @TempDir
  Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> walk(Tx tx, String from, String to) {
    List<String> out = new ArrayList<>();
    try (Tx.Scan s = tx.scan(b(from), b(to))) {
      for (Kv.Entry e = s.next(); e != null; e = s.next()) {
        out.add(new String(e.key(), StandardCharsets.UTF_8) + "=" + new String(e.value(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Tx withChanges(Kv kv) {
    kv.write(List.of(new Kv.Change(b("a"), b("1")), new Kv.Change(b("c"), b("3")), new Kv.Change(b("e"), b("5")),
        new Kv.Change(b("x"), b("24"))));
    Tx tx = new Tx(kv);
    tx.put(b("b"), b("2"));
    tx.delete(b("c"));
    tx.put(b("e"), b("5'"));
    tx.putLocal(b("g"), b("7"));
    tx.put(b("y"), b("25"));
    return tx;
  }

  @Test
  void aWalkSeesTheStoreAsTheRecordChangedItInKeyOrderWithinItsRange() {
    Tx tx = withChanges(new MemoryKv());
    assertThat(walk(tx, "a", "h")).containsExactly("a=1", "b=2", "e=5'", "g=7");
    assertThat(walk(tx, "b", "e")).containsExactly("b=2");
    assertThat(walk(tx, "h", "z")).containsExactly("x=24", "y=25");
    assertThat(walk(tx, "d", "d\0")).isEmpty();
  }

  @Test
  void onRocksDbTheSameAndTheStoreClosesOnceEveryWalkIsClosed() {
    try (StateMemory memory = new StateMemory(64 << 20)) {
      RocksKv kv = RocksKv.openEmpty(dir.resolve("s"), memory);
      Tx tx = withChanges(kv);
      assertThat(walk(tx, "a", "z")).containsExactly("a=1", "b=2", "e=5'", "g=7", "x=24", "y=25");
      try (Tx.Scan s = tx.scan(b("a"), b("z"))) {
        assertThat(s.next().key()).isEqualTo(b("a")); // stopped early: closed all the same
      }
      kv.close(); // takes the store's write lock, which a walk left open would hold off
      assertThat(kv.size()).isZero();
    }
  }

  @Test
  void aChangeAheadOfTheWalkShowsWhenItGetsThereAndOneBehindItDoesNot() {
    Tx tx = withChanges(new MemoryKv());
    List<String> seen = new ArrayList<>();
    try (Tx.Scan s = tx.scan(b("a"), b("z"))) {
      for (Kv.Entry e = s.next(); e != null; e = s.next()) {
        String k = new String(e.key(), StandardCharsets.UTF_8);
        seen.add(k);
        if (k.equals("b")) {
          tx.put(b("a0"), b("behind"));
          tx.put(b("f"), b("ahead"));
          tx.delete(b("x"));
        }
        if (k.equals("e")) {
          tx.put(b("e"), b("again")); // the entry being visited: the walk goes on past it
        }
      }
    }
    assertThat(seen).containsExactly("a", "b", "e", "f", "g", "y");
  }

  @Test
  void aWalkReadsTheStoreOnlyAsFarAsItIsTaken() {
    MemoryKv inner = new MemoryKv();
    List<Kv.Change> many = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      many.add(new Kv.Change(b(String.format("k%04d", i)), b("v")));
    }
    inner.write(many);
    int[] read = {0};
    boolean[] closed = {false};
    Kv counting = new ForwardingKv(inner) {
      @Override
      public Cursor cursor(byte[] from, byte[] to) {
        Cursor c = inner.cursor(from, to);
        return new Cursor() {
          @Override
          public Entry next() {
            read[0]++;
            return c.next();
          }

          @Override
          public void close() {
            closed[0] = true;
            c.close();
          }
        };
      }
    };
    try (Tx.Scan s = new Tx(counting).scan(b("k"), b("l"))) {
      s.next();
      s.next();
    }
    assertThat(read[0]).isLessThanOrEqualTo(3);
    assertThat(closed[0]).isTrue();
  }

  /** A Kv handing everything to another. */
  private static class ForwardingKv implements Kv {
    private final Kv inner;

    ForwardingKv(Kv inner) {
      this.inner = inner;
    }

    @Override
    public byte[] get(byte[] key) {
      return inner.get(key);
    }

    @Override
    public List<Entry> scan(byte[] from, byte[] to, int limit) {
      return inner.scan(from, to, limit);
    }

    @Override
    public Cursor cursor(byte[] from, byte[] to) {
      return inner.cursor(from, to);
    }

    @Override
    public void forEach(byte[] from, byte[] to, java.util.function.Predicate<Entry> visitor) {
      inner.forEach(from, to, visitor);
    }

    @Override
    public void write(List<Change> changes) {
      inner.write(changes);
    }

    @Override
    public long size() {
      return inner.size();
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}
