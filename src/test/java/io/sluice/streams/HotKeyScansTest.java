package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.Record;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.MemoryKv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hot key's long range (its sliding window, its sessions, a join's records of the other side) is walked one stored
 * entry at a time while a record is processed: the store never hands out a key's range as one list (what it does
 * hand out in lists, the indexes' due entries, is bounded by a budget per record), which held a
 * hot key's whole window in the heap for every record. The answers stay those of the plain fold.
 */
class HotKeyScansTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  private static final int RECORDS = 300;

  /** A store that remembers the most entries it handed out in one list. */
  private static final class Watched {
    final MemoryKv kv = new MemoryKv();
    int largestList;
    final Kv proxy = (Kv) Proxy.newProxyInstance(Kv.class.getClassLoader(), new Class<?>[] {Kv.class},
        (self, method, args) -> {
          Object out;
          try {
            out = method.invoke(kv, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (out instanceof List<?> l) {
            largestList = Math.max(largestList, l.size());
          }
          return out;
        });
  }

  private static Record record(long offset, long time, String key, String value) {
    return new Record(offset, time, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8),
        List.of());
  }

  /** Feeds {@code RECORDS} records of one key, {@code spacing} ms apart; answers the outputs to "out". */
  private static List<String> feedHotKey(StreamDefinition d, Watched store, long spacing) throws Exception {
    Processor p = new Processor(d, 1000, 8 << 20);
    TaskStores stores = new TaskStores();
    stores.add(new StoreState(d.aggregate().store(), store.proxy));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      for (Processor.Output o : p.process("in", 0, record(i, 10_000 + i * spacing, "hot", "{\"n\": 1}"), t -> 1,
          Processor.Tracer.NONE, stores)) {
        if (o.topic().equals("out")) {
          out.add(new String(o.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private static StreamDefinition windowed(String window) {
    return PARSER.parse(new JsonObject("""
        {"name": "w", "inputs": ["in"], "value_format": "json", "steps": [
          {"group_by": "key"}, {"window": %s}, {"count": {"emit": "update"}}, {"to": "out"}]}""".formatted(window)),
        null);
  }

  @Test
  void aHotKeysSlidingWindowIsFoldedOneStoredRecordAtATime() throws Exception {
    Watched store = new Watched();
    List<String> counts = feedHotKey(windowed("{\"sliding\": \"1h\"}"), store, 1);
    assertThat(counts).hasSize(RECORDS);
    assertThat(counts.get(RECORDS - 1)).isEqualTo(Integer.toString(RECORDS)); // the window holds every record
    assertThat(store.largestList).as("entries the store handed out in one list").isLessThan(10);
  }

  @Test
  void aHotKeysSessionsAreWalkedOneAtATime() throws Exception {
    Watched store = new Watched();
    // 2 s apart with a 1 s gap: every record starts a session of its own, each kept (the grace is long)
    List<String> counts = feedHotKey(windowed("{\"session\": \"1s\", \"grace\": \"1h\"}"), store, 2_000);
    assertThat(counts).hasSize(RECORDS).containsOnly("1");
    assertThat(store.largestList).as("entries the store handed out in one list").isLessThan(10);
  }

  @Test
  void aStreamJoinsPartnersOfAHotKeyAreReadOneAtATime() throws Exception {
    StreamDefinition d = PARSER.parse(new JsonObject("""
        {"name": "j", "inputs": ["in"], "value_format": "json", "steps": [
          {"join": {"stream": "other", "type": "inner", "within": "1h", "grace": "1h"}}, {"to": "out"}]}"""), null);
    Watched store = new Watched();
    Processor p = new Processor(d, 1000, 8 << 20);
    TaskStores stores = new TaskStores();
    stores.add(new StoreState(d.store(), store.proxy));
    long repartitionOffset = 0;
    int joined = 0;
    for (int i = 0; i <= RECORDS; i++) {
      // RECORDS records of the left side, then one of the right side that joins each of them
      String topic = i < RECORDS ? "in" : "other";
      for (Processor.Output o : p.process(topic, 0, record(i, 10_000 + i, "hot", "{\"n\": " + i + "}"), t -> 1,
          Processor.Tracer.NONE, null)) {
        Record again = new Record(repartitionOffset++, o.timestamp(), o.key(), o.value(), o.headers());
        for (Processor.Output j : p.process(o.topic(), 0, again, t -> 1, Processor.Tracer.NONE, stores)) {
          joined += j.topic().equals("out") ? 1 : 0;
        }
      }
    }
    assertThat(joined).isEqualTo(RECORDS);
    assertThat(store.largestList).as("entries the store handed out in one list").isLessThan(10);
  }
}
