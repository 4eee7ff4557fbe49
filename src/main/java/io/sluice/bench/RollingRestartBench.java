package io.sluice.bench;

import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.GroupConsumer;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.smallrye.mutiny.subscription.Cancellable;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What a rolling restart costs an application (bench/rolling-restart.sh drives it): a Java-client producer sends
 * numbered records at a steady rate with acks=all while a group consumer reads them, and the script says on stdin
 * when each broker's restart begins ({@code begin LABEL}) and when its replicas are back in sync ({@code end}); on
 * {@code stop} the producer stops, the consumer gets until every acknowledged record was read (at most 60 s), and one
 * line per restart is printed: the longest gap between two acknowledgements and between two records read (the stall
 * an application sees), and the sends that failed. Then the totals: acknowledged, failed, acknowledged but never
 * read (lost: must be 0) and read more than once (duplicated).
 *
 * <p>Usage: {@code RollingRestartBench --url URL[,URL...] --topic T --group G [--rate 500] [--max-records 2000000]}.
 */
public final class RollingRestartBench {
  private static final int TICK_MS = 10;

  private final long startNs = System.nanoTime();
  private final int capacity;
  /** Per record id: ms (since start) its send was acknowledged, -1 while not, -2 failed. */
  private final int[] ackedMs;
  private final AtomicIntegerArray reads;
  private final ConcurrentLinkedQueue<long[]> readTimes = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<long[]> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger acked = new AtomicInteger();
  private final List<Window> windows = new ArrayList<>();
  private volatile int sent;

  private record Window(String label, long beginMs, long endMs) {
  }

  private RollingRestartBench(int capacity) {
    this.capacity = capacity;
    this.ackedMs = new int[capacity];
    java.util.Arrays.fill(ackedMs, -1);
    this.reads = new AtomicIntegerArray(capacity);
  }

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    RollingRestartBench bench = new RollingRestartBench(a.integer("max-records", 2_000_000));
    bench.run(a.string("url", "http://127.0.0.1:8080").split(","), a.string("topic", "rolling"),
        a.string("group", "rolling-" + System.currentTimeMillis()), a.integer("rate", 500));
    System.exit(0);
  }

  private long nowMs() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
  }

  private void run(String[] urls, String topic, String group, int rate) throws Exception {
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(urls));
    Producer producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(5));
    GroupConsumer consumer = client.consumer(ConsumerOptions.of(group, List.of(topic)).fromEarliest(true));
    Cancellable reading = consumer.records().subscribe().with(r -> onRead(r.value()),
        t -> System.out.println("consumer failed: " + t));
    ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
    double perTick = rate * TICK_MS / 1000.0;
    double[] due = {0};
    ticks.scheduleAtFixedRate(() -> {
      due[0] += perTick;
      while (due[0] >= 1 && sent < capacity) {
        due[0] -= 1;
        send(producer, topic, sent++);
      }
    }, 0, TICK_MS, TimeUnit.MILLISECONDS);
    System.out.println("producing " + rate + " records/s to " + topic + "; consumer group " + group);
    readCommands();
    ticks.shutdown();
    ticks.awaitTermination(5, TimeUnit.SECONDS);
    producer.flush().await().atMost(Duration.ofSeconds(120));
    awaitAllRead();
    reading.cancel();
    report();
    client.close().await().atMost(Duration.ofSeconds(30));
  }

  private void send(Producer producer, String topic, int id) {
    byte[] value = Integer.toString(id).getBytes(StandardCharsets.UTF_8);
    producer.send(ProducerRecord.of(topic, value, value), (metadata, failure) -> {
      long at = nowMs();
      if (failure == null) {
        ackedMs[id] = (int) at;
        acked.incrementAndGet();
      } else {
        ackedMs[id] = -2;
        failures.add(new long[] {at, id});
        System.out.println("send " + id + " failed at " + at + " ms: " + failure);
      }
    });
  }

  private void onRead(byte[] value) {
    int id = Integer.parseInt(new String(value, StandardCharsets.UTF_8));
    reads.incrementAndGet(id);
    readTimes.add(new long[] {nowMs(), id});
  }

  /** {@code begin LABEL}, {@code end}, {@code stop}, one a line. */
  private void readCommands() throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String label = null;
    long begin = 0;
    for (String line; (line = in.readLine()) != null; ) {
      String[] words = line.trim().split("\\s+", 2);
      if (words[0].equals("begin")) {
        label = words.length > 1 ? words[1] : "restart";
        begin = nowMs();
      } else if (words[0].equals("end") && label != null) {
        windows.add(new Window(label, begin, nowMs()));
        System.out.println("window " + label + ": " + begin + "-" + nowMs() + " ms");
        label = null;
      } else if (words[0].equals("stop")) {
        return;
      }
    }
  }

  private void awaitAllRead() throws InterruptedException {
    long deadline = nowMs() + 60_000;
    while (nowMs() < deadline && unread() > 0) {
      Thread.sleep(100); // polls a counter the consumer's thread updates; a bench's wait, not a test's
    }
  }

  private long unread() {
    long n = 0;
    for (int id = 0; id < sent; id++) {
      if (ackedMs[id] >= 0 && reads.get(id) == 0) {
        n++;
      }
    }
    return n;
  }

  private void report() {
    long[] ackTimes = new long[acked.get()];
    int k = 0;
    for (int id = 0; id < sent && k < ackTimes.length; id++) {
      if (ackedMs[id] >= 0) {
        ackTimes[k++] = ackedMs[id];
      }
    }
    java.util.Arrays.sort(ackTimes, 0, k);
    long[] readAt = readTimes.stream().mapToLong(r -> r[0]).sorted().toArray();
    long firstWindow = windows.isEmpty() ? nowMs() : windows.get(0).beginMs();
    long warm = k == 0 ? firstWindow : ackTimes[0] + 1_000; // the clients' first second (connections, JIT) is no stall
    System.out.printf(Locale.ROOT, "baseline (%d-%d ms): longest ack gap %d ms, longest read gap %d ms%n", warm,
        firstWindow, longestGap(ackTimes, k, warm, firstWindow), longestGap(readAt, readAt.length, warm,
            firstWindow));
    for (Window w : windows) {
      long failed = failures.stream().filter(f -> f[0] >= w.beginMs() && f[0] <= w.endMs()).count();
      System.out.printf(Locale.ROOT, "restart %s (%d ms): longest ack gap %d ms, longest read gap %d ms,"
          + " failed sends %d%n", w.label(), w.endMs() - w.beginMs(), longestGap(ackTimes, k, w.beginMs(),
          w.endMs()), longestGap(readAt, readAt.length, w.beginMs(), w.endMs()), failed);
    }
    long lost = 0;
    long duplicated = 0;
    long readButFailed = 0;
    for (int id = 0; id < sent; id++) {
      int n = reads.get(id);
      lost += ackedMs[id] >= 0 && n == 0 ? 1 : 0;
      duplicated += n > 1 ? 1 : 0;
      readButFailed += ackedMs[id] == -2 && n > 0 ? 1 : 0;
    }
    System.out.printf(Locale.ROOT, "total: sent %d, acknowledged %d, failed %d, lost %d, duplicated %d,"
        + " failed but read %d%n", sent, acked.get(), failures.size(), lost, duplicated, readButFailed);
  }

  /**
   * The longest interval between consecutive {@code times[0..n)} that overlaps [{@code fromMs}, {@code toMs}]; an
   * interval running past {@code toMs} counts too (a stall that outlasts the window), as does one that began before.
   */
  static long longestGap(long[] times, int n, long fromMs, long toMs) {
    long longest = 0;
    for (int i = 1; i < n; i++) {
      if (times[i] >= fromMs && times[i - 1] <= toMs) {
        longest = Math.max(longest, times[i] - times[i - 1]);
      }
    }
    return longest;
  }
}
