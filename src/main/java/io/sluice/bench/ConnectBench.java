package io.sluice.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Connect end to end through a running broker: the load-generator source writes {@code --records} records into a
 * fresh topic and Kafka's FileStreamSink writes them to a file; reports records per second from the creation of the
 * connectors until the file holds every record (each run, then the median).
 *
 * <pre>java -cp target/sluice.jar io.sluice.bench.ConnectBench --bootstrap http://127.0.0.1:8080 --records 500000
 *     --value-bytes 100 --tasks 1 --repeat 3 --dir /tmp</pre>
 */
public final class ConnectBench {
  private final HttpClient http = HttpClient.newHttpClient();
  private final String bootstrap;

  private ConnectBench(String bootstrap) {
    this.bootstrap = bootstrap;
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs args = new BenchArgs(argv);
    ConnectBench bench = new ConnectBench(args.string("bootstrap", "http://127.0.0.1:8080"));
    long records = args.number("records", 500_000);
    int repeat = args.integer("repeat", 3);
    double[] rates = new double[repeat];
    for (int i = 0; i < repeat; i++) {
      rates[i] = bench.run("bench-" + System.currentTimeMillis(), records, args.integer("value-bytes", 100),
          args.integer("tasks", 1), Path.of(args.string("dir", "/tmp")));
      System.out.printf("run %d: %.0f records/s%n", i + 1, rates[i]);
    }
    java.util.Arrays.sort(rates);
    System.out.printf("median: %.0f records/s (%d records, load generator -> topic -> FileStreamSink)%n",
        rates[repeat / 2], records);
  }

  private double run(String name, long records, int valueBytes, int tasks, Path dir) throws Exception {
    Path out = dir.resolve(name + ".txt");
    long perTask = records / tasks;
    long start = System.nanoTime();
    put(name + "-sink", new JsonObject().put("connector.class", "FileStreamSink").put("file", out.toString())
        .put("topics", name).put("value.converter", "org.apache.kafka.connect.storage.StringConverter"));
    put(name + "-source", new JsonObject().put("connector.class", "LoadGenerator").put("topic", name)
        .put("records.per.second", "0").put("max.records", Long.toString(perTask)).put("tasks.max", tasks)
        .put("key.cardinality", "0").put("value.size.bytes", valueBytes)
        .put("value.converter", "org.apache.kafka.connect.storage.StringConverter"));
    long expected = perTask * tasks;
    while (lines(out) < expected) {
      Thread.sleep(20); // polling the file the sink writes
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    delete(name + "-source");
    delete(name + "-sink");
    Files.deleteIfExists(out);
    return expected / seconds;
  }

  private static long lines(Path file) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    long n = 0;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int r;
      while ((r = in.read(buf)) > 0) {
        for (int i = 0; i < r; i++) {
          if (buf[i] == '\n') {
            n++;
          }
        }
      }
    }
    return n;
  }

  private void put(String name, JsonObject config) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(bootstrap + "/connectors/" + name
        + "/config")).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
            config.encode())).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201 && r.statusCode() != 200) {
      throw new IllegalStateException("Creating " + name + " failed: " + r.statusCode() + " " + r.body());
    }
  }

  private void delete(String name) throws Exception {
    http.send(HttpRequest.newBuilder(URI.create(bootstrap + "/connectors/" + name)).DELETE().build(),
        HttpResponse.BodyHandlers.discarding());
  }
}
