package io.sluice.cluster.faults;

import io.sluice.cluster.faults.History.Outcome;
import io.sluice.cluster.faults.History.Produce;
import io.sluice.cluster.faults.History.Read;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The anomalies of the reliability notes, each found by one method over a {@link History} and the healed
 * {@link FinalLog} of every partition. Every method returns one line per anomaly, naming the partition, offset and
 * value, so a failing run says what went wrong, not only how often. Not thread-safe: run it after the clients stopped.
 */
public final class Checker {
  private final History history;
  private final Map<Integer, FinalLog> logs;
  /** Per partition: value → every offset holding it in the committed log. */
  private final Map<Integer, Map<String, List<Long>>> offsetsOfValue = new HashMap<>();

  public Checker(History history, Map<Integer, FinalLog> logs) {
    this.history = history;
    this.logs = Map.copyOf(logs);
    logs.forEach((p, log) -> {
      Map<String, List<Long>> index = new HashMap<>();
      log.committed().forEach((offset, value) -> index.computeIfAbsent(value, v -> new ArrayList<>()).add(offset));
      offsetsOfValue.put(p, index);
    });
  }

  /** Every anomaly kind with its findings, in the order of the reliability notes. */
  public Map<String, List<String>> all() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    all.put("lost", lost());
    all.put("duplicated", duplicated());
    all.put("inconsistent offset", inconsistentOffsets());
    all.put("gap", gaps());
    all.put("reorder", reorders());
    all.put("consumer anomaly", consumerAnomalies());
    all.put("dirty read", dirtyReads());
    all.put("divergence", divergences());
    all.put("failed but present", failedButPresent());
    return all;
  }

  /** 1. An acknowledged record missing from the final log. */
  public List<String> lost() {
    return acked().filter(p -> offsets(p.partition(), p.value()).isEmpty())
        .map(p -> "p" + p.partition() + ": " + p.value() + " acknowledged at " + p.offset() + " is missing").toList();
  }

  /** 2. One record at two or more offsets of the final log. */
  public List<String> duplicated() {
    List<String> out = new ArrayList<>();
    offsetsOfValue.forEach((p, index) -> index.forEach((value, offsets) -> {
      if (offsets.size() > 1) {
        out.add("p" + p + ": " + value + " at offsets " + offsets);
      }
    }));
    return out;
  }

  /**
   * 3. A record not at the offset it was acknowledged with; or one offset given two values, by two acknowledgements
   * or by two reads.
   */
  public List<String> inconsistentOffsets() {
    List<String> out = new ArrayList<>();
    acked().forEach(p -> {
      List<Long> at = offsets(p.partition(), p.value());
      if (!at.isEmpty() && !at.contains(p.offset())) {
        out.add("p" + p.partition() + ": " + p.value() + " acknowledged at " + p.offset() + " but is at " + at);
      }
    });
    Map<String, String> valueAt = new HashMap<>();
    acked().forEach(p -> conflict(valueAt, p.partition(), p.offset(), p.value(), "acknowledged", out));
    history.reads().forEach(r -> conflict(valueAt, r.partition(), r.offset(), r.value(), "read", out));
    return out;
  }

  private static void conflict(Map<String, String> valueAt, int partition, long offset, String value, String how,
      List<String> out) {
    String key = partition + "@" + offset;
    String before = valueAt.putIfAbsent(key, value);
    if (before != null && !before.equals(value)) {
      out.add("p" + partition + ": offset " + offset + " " + how + " as " + value + " and also as " + before);
    }
  }

  /** 4. Offsets of the final log not contiguous from 0 to the high watermark, or a consumer's watermark going back. */
  public List<String> gaps() {
    List<String> out = new ArrayList<>();
    logs.forEach((p, log) -> {
      long expected = 0;
      for (long offset : log.committed().keySet()) {
        if (offset != expected) {
          out.add("p" + p + ": offsets " + expected + ".." + (offset - 1) + " missing below " + offset);
        }
        expected = offset + 1;
      }
      if (expected != log.highWatermark()) {
        out.add("p" + p + ": the log ends at " + expected + " but the high watermark is " + log.highWatermark());
      }
    });
    Map<String, Long> last = new HashMap<>();
    history.watermarks().forEach(w -> {
      Long before = last.put(w.consumer() + "/p" + w.partition(), w.highWatermark());
      if (before != null && w.highWatermark() < before) {
        out.add("p" + w.partition() + ": " + w.consumer() + " saw the high watermark go back from " + before + " to "
            + w.highWatermark() + " (answered through broker " + w.broker() + ") at " + seconds(w.nanos()));
      }
    });
    return out;
  }

  /** 5. A producer's acknowledged records in the final log in another order than it sent them (per partition). */
  public List<String> reorders() {
    List<String> out = new ArrayList<>();
    Map<String, List<Produce>> byProducer = acked().collect(Collectors.groupingBy(
        p -> p.producer() + "/p" + p.partition(), TreeMap::new, Collectors.toList()));
    byProducer.forEach((key, produces) -> {
      List<Produce> bySeq = produces.stream().sorted(Comparator.comparingLong(Produce::seq)).toList();
      Produce previous = null;
      long previousOffset = -1;
      for (Produce p : bySeq) {
        List<Long> at = offsets(p.partition(), p.value());
        if (at.isEmpty()) {
          continue; // lost, counted there
        }
        long offset = at.get(0);
        if (previous != null && offset < previousOffset) {
          out.add(key + ": " + p.value() + " at " + offset + " comes before " + previous.value() + " at "
              + previousOffset);
        }
        previous = p;
        previousOffset = offset;
      }
    });
    return out;
  }

  /** 6. A consumer whose next read is not the offset after its previous one, without a seek in between. */
  public List<String> consumerAnomalies() {
    List<String> out = new ArrayList<>();
    Map<String, Long> next = new HashMap<>();
    List<Object> events = new ArrayList<>(history.reads());
    events.addAll(history.seeks());
    events.sort(Comparator.comparingLong(e -> e instanceof Read r ? r.order() : ((History.Seek) e).order()));
    for (Object e : events) {
      if (e instanceof History.Seek s) {
        next.put(s.consumer() + "/p" + s.partition(), s.offset());
        continue;
      }
      Read r = (Read) e;
      String key = r.consumer() + "/p" + r.partition();
      long expected = next.getOrDefault(key, 0L);
      if (r.offset() != expected) {
        out.add(key + ": read " + r.offset() + (r.offset() < expected ? " going back" : " skipping") + " from "
            + expected + " at " + seconds(r.nanos()));
      }
      next.put(key, r.offset() + 1);
    }
    return out;
  }

  /** 7. A consumer read a value that is nowhere in the final log. */
  public List<String> dirtyReads() {
    return history.reads().stream().filter(r -> offsets(r.partition(), r.value()).isEmpty())
        .map(r -> "p" + r.partition() + ": " + r.consumer() + " read " + r.value() + " at " + r.offset()
            + ", not in the final log")
        .toList();
  }

  /** 8. A replica whose records or bytes below the high watermark differ from the committed log's. */
  public List<String> divergences() {
    List<String> out = new ArrayList<>();
    logs.forEach((p, log) -> {
      Integer reference = log.replicaBytes().keySet().stream().min(Integer::compare).orElse(null);
      log.replicas().forEach((broker, records) -> {
        SortedMap<Long, String> below = records.headMap(log.highWatermark());
        if (!below.equals(log.committed())) {
          out.add("p" + p + ": broker " + broker + " holds " + below.size() + " records below the high watermark "
              + log.highWatermark() + ", the committed log " + log.committed().size() + firstDifference(below,
              log.committed()));
        } else if (reference != null && !log.sameBytes(broker, reference)) {
          out.add("p" + p + ": broker " + broker + "'s bytes below the high watermark differ from broker " + reference
              + "'s");
        }
      });
    });
    return out;
  }

  private static String firstDifference(SortedMap<Long, String> a, SortedMap<Long, String> b) {
    for (long o = 0; o < Math.max(a.size(), b.size()) + 1; o++) {
      if (!java.util.Objects.equals(a.get(o), b.get(o))) {
        return "; first difference at offset " + o + ": " + a.get(o) + " vs " + b.get(o);
      }
    }
    return "";
  }

  /**
   * Not one of the notes' eight: a produce refused with an error that promises nothing was appended, whose record is
   * in the final log all the same (the client was told a falsehood and would wrongly resend).
   */
  public List<String> failedButPresent() {
    return history.produces().stream().filter(p -> p.outcome() == Outcome.FAILED)
        .filter(p -> !offsets(p.partition(), p.value()).isEmpty())
        .map(p -> "p" + p.partition() + ": " + p.value() + " refused (" + p.detail() + ") but at "
            + offsets(p.partition(), p.value()))
        .toList();
  }

  private java.util.stream.Stream<Produce> acked() {
    return history.produces().stream().filter(p -> p.outcome() == Outcome.OK);
  }

  private List<Long> offsets(int partition, String value) {
    return offsetsOfValue.getOrDefault(partition, Map.of()).getOrDefault(value, List.of());
  }

  static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1fs", nanos / 1e9);
  }
}
