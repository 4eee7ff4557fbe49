package io.sluice.streams;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.streams.state.Bytes;
import io.sluice.streams.state.StoreState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Time synchronisation of a join's sides in its repartition partition, as Kafka Streams picks records across its
 * inputs by timestamp: a record at time t meets the store once every <i>upstream task</i> (a task of an input
 * partition that feeds the repartition topic, of either side) has forwarded its records up to t or is caught up
 * with its input; until then it is <i>held</i>. Held records go in (time, right side first, offset) order, so a stream
 * record at t sees the table as of t (a table row at the same time included).
 *
 * <p><b>What it reads.</b> Upstream tasks append a progress marker ({@link #PROGRESS_HEADER} = "time caughtUp", with
 * their task header) to every repartition partition after each fetch's records: the highest record time they have
 * forwarded and whether they reached their input's end. The <i>safe time</i> is the least progress over the expected
 * upstream tasks (each input's partitions, counted at the checkpoint), a caught-up task counting as no bound. A join
 * task that held records for {@link Step.Join#maxIdleMs} while the safe time stood still writes a release marker
 * ({@link #RELEASE_HEADER} = a time) to its own partition; reading it back lifts the safe time to that time. Every
 * decision is thus taken from the log alone, and a replay decides the same.
 *
 * <p><b>State.</b> Upstream progress and the released-up-to time are store entries (logged: the changelog restores
 * them). Held records live in memory; once the last checkpointable position is {@link #PERSIST_AFTER} offsets behind,
 * those held are written to the store (logged), and deleted from it when they go. {@link #checkpointable()} is the latest position whose state is all in
 * the store (nothing held, or a persist point): the task's checkpoint never passes it, so a restore plus a replay
 * from there hold and release exactly as the first run did.
 *
 * <pre>
 * 'U' upstream task id               "time caughtUp" of that task            (logged)
 * 'F'                                the released-up-to time (8 bytes)        (logged)
 * 'H' time(8) rank(1) offset(8)      a held record persisted: JSON            (logged)
 * </pre>
 * Not thread-safe: one task's records, on the pool; the idle fields are read by the task's loop between fetches.
 */
final class JoinSync {
  static final String PROGRESS_HEADER = "sluice.join.progress";
  static final String RELEASE_HEADER = "sluice.join.release";
  /**
   * Held records are written to the store once the checkpointable position is this many offsets behind (so a replay
   * after a crash reads at most about this many records again; a shorter wait never writes them).
   */
  static final long PERSIST_AFTER = 65_536;
  private static final byte UPSTREAM = 'U';
  private static final byte FORCED = 'F';
  private static final byte HELD = 'H';

  private record Progress(long time, boolean caughtUp) {
  }

  private final StreamDefinition definition;
  private final Step.Join join;
  private final Map<String, Progress> progress = new HashMap<>();
  private final TreeMap<byte[], Record> held = new TreeMap<>(Bytes.ORDER);
  private final Set<String> persisted = new HashSet<>();
  private long forced = Long.MIN_VALUE;
  /** The expected upstream tasks, and the inputs' partition counts they were made for (null: not yet). */
  private final List<String> upstreams = new ArrayList<>();
  private int[] counts;
  private long safeTime = Long.MIN_VALUE;
  private long checkpointable;
  /** From a persist point until every held record is in the store (deterministic: offsets and the log only). */
  private boolean persisting;
  /** Wall clock (ms) since when held records wait without the safe time moving; -1 while none waits. */
  private volatile long waitingSinceMs = -1;
  private volatile long heldMaxTime = Long.MIN_VALUE;
  private volatile boolean releaseAsked;
  private volatile boolean readyLeft;

  private final long persistAfter;

  private JoinSync(StreamDefinition definition, long startOffset, long persistAfter) {
    this.definition = definition;
    this.join = definition.join();
    this.checkpointable = startOffset;
    this.persistAfter = persistAfter;
  }

  /** Whether a definition's join synchronises its sides (every join; a table read alone has one side). */
  static boolean applies(StreamDefinition d) {
    return d.join() != null && d.join().kind() != Step.JoinKind.TABLE && d.repartitionTopic() != null;
  }

  /** Whether a repartition record is a marker (progress or release), not a record of either side. */
  static boolean isMarker(Record r) {
    return r.key() == null && r.value() == null && (header(r, PROGRESS_HEADER) != null
        || header(r, RELEASE_HEADER) != null);
  }

  /** The side an upstream task reading {@code topic} feeds: "R" (the joined table or stream) or "L". */
  static String side(StreamDefinition d, String topic) {
    return topic.equals(d.join().right()) ? "R" : "L";
  }

  /** A progress marker's headers: the side, and the task's highest forwarded time and whether it is caught up. */
  static List<Header> progressHeaders(String side, long time, boolean caughtUp) {
    return List.of(Header.of(Joins.SIDE_HEADER, side), Header.of(PROGRESS_HEADER, time + " " + (caughtUp ? 1 : 0)));
  }

  /** Opens the sync of a restored store: upstream progress, released-up-to time and held records. Blocking. */
  static JoinSync open(StreamDefinition d, StoreState st, long startOffset) {
    return open(d, st, startOffset, PERSIST_AFTER);
  }

  /** As above, persisting held records {@code persistAfter} offsets after the last checkpointable position. */
  static JoinSync open(StreamDefinition d, StoreState st, long startOffset, long persistAfter) {
    JoinSync s = new JoinSync(d, startOffset, persistAfter);
    // Read one entry at a time: the held records go into the sync's map, and only there.
    st.kv().forEach(new byte[] {UPSTREAM}, new byte[] {UPSTREAM + 1}, e -> {
      s.progress.put(new String(e.key(), 1, e.key().length - 1, StandardCharsets.UTF_8), parse(e.value()));
      return true;
    });
    byte[] f = st.kv().get(new byte[] {FORCED});
    if (f != null) {
      s.forced = ByteBuffer.wrap(f).getLong();
    }
    st.kv().forEach(new byte[] {HELD}, new byte[] {HELD + 1}, e -> {
      s.held.put(e.key(), decode(e.key(), e.value()));
      s.persisted.add(hex(e.key()));
      return true;
    });
    s.heldChanged();
    return s;
  }

  // ---- the task's records ----

  /**
   * Takes a repartition record: a marker updates progress (store changes in {@code st}'s transaction); a record
   * answers true if it goes now (nothing ready is held before it and the safe time reached it), else it is held.
   */
  boolean accept(Record r, StoreState st, ToIntFunction<String> partitions) {
    if (upstreamsChanged(partitions)) {
      safeTime = safeTime(); // after a restore, or new input partitions (taken at a checkpoint)
    }
    String release = header(r, RELEASE_HEADER);
    String mark = header(r, PROGRESS_HEADER);
    Progress p = mark == null ? null : parse(mark.getBytes(StandardCharsets.UTF_8));
    String task = header(r, TaskWriter.TASK_HEADER);
    if (release != null) {
      releaseAsked = false;
      long t = parseTime(release);
      if (t > forced) {
        forced = t;
        st.tx().put(new byte[] {FORCED}, ByteBuffer.allocate(8).putLong(t).array());
      }
    } else if (p != null && task != null) {
      Progress was = progress.get(task);
      Progress now = new Progress(Math.max(p.time(), was == null ? Long.MIN_VALUE : was.time()), p.caughtUp());
      if (!now.equals(was)) {
        progress.put(task, now);
        st.tx().put(key(UPSTREAM, task), (now.time() + " " + (now.caughtUp() ? 1 : 0))
            .getBytes(StandardCharsets.UTF_8));
      }
    }
    if (release != null || mark != null) {
      long before = safeTime;
      safeTime = safeTime();
      if (safeTime > before) {
        waitingSinceMs = held.isEmpty() ? -1 : System.currentTimeMillis(); // idle bound only, never processing
      }
      return false;
    }
    boolean readyHeld = !held.isEmpty() && time(held.firstKey()) <= safeTime;
    if (!readyHeld && r.timestamp() <= safeTime) {
      return true;
    }
    if (held.isEmpty()) {
      waitingSinceMs = System.currentTimeMillis();
    }
    held.put(heldKey(r), r);
    heldChanged();
    return false;
  }

  /** The next held record that may go, taking it out (a persisted one is deleted in {@code st}), or null. */
  Record next(StoreState st) {
    if (held.isEmpty() || time(held.firstKey()) > safeTime) {
      readyLeft = false;
      return null;
    }
    Map.Entry<byte[], Record> e = held.pollFirstEntry();
    if (!persisted.isEmpty() && persisted.remove(hex(e.getKey()))) {
      st.tx().delete(e.getKey());
    }
    heldChanged();
    return e.getValue();
  }

  /** Records that may go are left held (the record's output budget ran out): the task writes a release marker. */
  void readyLeft() {
    readyLeft = true;
  }

  /**
   * After the record at {@code offset}: once the last checkpointable position is {@code persistAfter} behind, writes
   * the held records not in the store yet (at most {@code room}, in {@code st}'s transaction; the rest after the
   * next records); notes whether the position after it is checkpointable (every held record in the store).
   * Deterministic: offsets and the log only, so a replay from a checkpointable position persists as the first run.
   */
  void after(long offset, StoreState st, int room) {
    if (offset + 1 - checkpointable >= persistAfter) {
      persisting = true;
    }
    if (persisting && persisted.size() < held.size()) {
      int n = 0;
      for (Map.Entry<byte[], Record> e : held.entrySet()) {
        if (n >= room) {
          break;
        }
        if (persisted.add(hex(e.getKey()))) {
          st.tx().put(e.getKey(), encode(e.getValue()));
          n++;
        }
      }
    }
    if (persisted.size() == held.size()) {
      persisting = false;
      checkpointable = offset + 1;
    }
  }

  /** The latest input position whose state is all in the store: the checkpoint must not pass it. */
  long checkpointable() {
    return checkpointable;
  }

  /**
   * The release-marker time the task should write now, or null: records have waited {@code maxIdleMs} (wall clock)
   * with the safe time standing still, or records that may go are left after a record's budget ran out.
   */
  Long releaseDue(long nowMs) {
    if (releaseAsked) {
      return null;
    }
    long since = waitingSinceMs;
    if (readyLeft || since >= 0 && nowMs - since >= join.maxIdleMs()) {
      releaseAsked = true;
      return readyLeft ? Long.MIN_VALUE : heldMaxTime;
    }
    return null;
  }

  /** A release marker could not be written: ask again at the next turn. */
  void releaseFailed() {
    releaseAsked = false;
  }

  int heldCount() {
    return held.size();
  }

  // ---- internals ----

  private void heldChanged() {
    if (held.isEmpty()) {
      waitingSinceMs = -1;
      heldMaxTime = Long.MIN_VALUE;
    } else {
      heldMaxTime = Math.max(heldMaxTime, time(held.lastKey()));
    }
  }

  /**
   * The least progress over the expected upstream tasks (every partition of every input, as the checkpoint counts
   * them), a caught-up one counting as no bound; at least the released-up-to time.
   */
  private long safeTime() {
    long min = Long.MAX_VALUE;
    for (String task : upstreams) {
      Progress pr = progress.get(task);
      min = Math.min(min, pr == null ? Long.MIN_VALUE : pr.caughtUp() ? Long.MAX_VALUE : pr.time());
    }
    return Math.max(min, forced);
  }

  /**
   * Whether the expected upstream tasks changed (the inputs' partition counts, from the task's checkpoint): the safe
   * time is then computed again, as it is on every marker, so it is a function of the store and the counts alone.
   */
  private boolean upstreamsChanged(ToIntFunction<String> partitions) {
    List<String> inputs = definition.inputs();
    int[] now = new int[inputs.size()];
    for (int i = 0; i < now.length; i++) {
      now[i] = partitions.applyAsInt(inputs.get(i));
    }
    if (java.util.Arrays.equals(now, counts)) {
      return false;
    }
    counts = now;
    upstreams.clear();
    for (int i = 0; i < now.length; i++) {
      for (int p = 0; p < now[i]; p++) {
        upstreams.add(definition.name() + "/" + inputs.get(i) + "/" + p);
      }
    }
    return true;
  }

  private byte[] heldKey(Record r) {
    boolean right = "R".equals(header(r, Joins.SIDE_HEADER));
    ByteBuffer b = ByteBuffer.allocate(18).put(HELD);
    Bytes.putLong(b, r.timestamp());
    b.put((byte) (right ? 0 : 1));
    Bytes.putLong(b, r.offset());
    return b.array();
  }

  private static long time(byte[] heldKey) {
    return Bytes.getLong(ByteBuffer.wrap(heldKey, 1, 8));
  }

  private static byte[] encode(Record r) {
    Base64.Encoder b64 = Base64.getEncoder();
    JsonArray headers = new JsonArray();
    for (Header h : r.headers()) {
      headers.add(new JsonArray().add(h.key()).add(h.value() == null ? null : b64.encodeToString(h.value())));
    }
    return new JsonObject().put("k", r.key() == null ? null : b64.encodeToString(r.key()))
        .put("v", r.value() == null ? null : b64.encodeToString(r.value())).put("h", headers).encode()
        .getBytes(StandardCharsets.UTF_8);
  }

  private static Record decode(byte[] heldKey, byte[] json) {
    Base64.Decoder b64 = Base64.getDecoder();
    JsonObject o = new JsonObject(new String(json, StandardCharsets.UTF_8));
    List<Header> headers = new ArrayList<>();
    for (Object h : o.getJsonArray("h")) {
      JsonArray a = (JsonArray) h;
      headers.add(new Header(a.getString(0), a.getString(1) == null ? null : b64.decode(a.getString(1))));
    }
    ByteBuffer b = ByteBuffer.wrap(heldKey, 1, 17);
    long time = Bytes.getLong(b);
    b.get();
    long offset = Bytes.getLong(b);
    String k = o.getString("k");
    String v = o.getString("v");
    return new Record(offset, time, k == null ? null : b64.decode(k), v == null ? null : b64.decode(v), headers);
  }

  /** A progress value ("time caughtUp"); null if it is not one (a marker someone else wrote: ignored). */
  private static Progress parse(byte[] value) {
    String[] parts = new String(value, StandardCharsets.UTF_8).split(" ");
    try {
      return parts.length == 2 ? new Progress(Long.parseLong(parts[0]), "1".equals(parts[1])) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A marker's time, or Long.MIN_VALUE (no effect) if it is not a number. */
  private static long parseTime(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE;
    }
  }

  private static byte[] key(byte kind, String s) {
    return Bytes.concat(new byte[] {kind}, s.getBytes(StandardCharsets.UTF_8));
  }

  private static String hex(byte[] k) {
    return java.util.HexFormat.of().formatHex(k);
  }

  static String header(Record r, String name) {
    for (Header h : r.headers()) {
      if (h.key().equals(name)) {
        return h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
