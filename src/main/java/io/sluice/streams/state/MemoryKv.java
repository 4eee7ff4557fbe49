package io.sluice.streams.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A {@link Kv} in memory: preview's stores, and tests' reference runs. */
public final class MemoryKv implements Kv {
  private final TreeMap<byte[], byte[]> map = new TreeMap<>(Bytes.ORDER);

  @Override
  public byte[] get(byte[] key) {
    return map.get(key);
  }

  @Override
  public List<Entry> scan(byte[] from, byte[] to, int limit) {
    List<Entry> out = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : map.subMap(from, true, to, false).entrySet()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(new Entry(e.getKey(), e.getValue()));
    }
    return out;
  }

  @Override
  public Cursor cursor(byte[] from, byte[] to) {
    java.util.Iterator<Map.Entry<byte[], byte[]>> it = map.subMap(from, true, to, false).entrySet().iterator();
    return new Cursor() {
      @Override
      public Entry next() {
        if (!it.hasNext()) {
          return null;
        }
        Map.Entry<byte[], byte[]> e = it.next();
        return new Entry(e.getKey(), e.getValue());
      }

      @Override
      public void close() {
        // nothing held
      }
    };
  }

  @Override
  public void forEach(byte[] from, byte[] to, java.util.function.Predicate<Entry> visitor) {
    for (Map.Entry<byte[], byte[]> e : map.subMap(from, true, to, false).entrySet()) {
      if (!visitor.test(new Entry(e.getKey(), e.getValue()))) {
        return;
      }
    }
  }

  @Override
  public void write(List<Change> changes) {
    for (Change c : changes) {
      if (c.value() == null) {
        map.remove(c.key());
      } else {
        map.put(c.key(), c.value());
      }
    }
  }

  @Override
  public long size() {
    return map.size();
  }

  @Override
  public void close() {
    map.clear();
  }
}
