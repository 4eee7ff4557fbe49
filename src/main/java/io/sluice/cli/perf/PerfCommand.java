package io.sluice.cli.perf;

import io.sluice.client.Admin;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicDescription;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code sluice perf produce|consume|e2e}: load tools on the Java client whose output lines match Kafka's
 * {@code kafka-producer-perf-test}, {@code kafka-consumer-perf-test} and {@code EndToEndLatency} so results compare
 * line by line. Usage in {@link #usage()}; figures in {@code docs/benchmarks.md}.
 */
public final class PerfCommand {
  static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(60);

  private PerfCommand() {
  }

  /** Runs {@code args} (after "perf"); returns the exit code: 0 done, 1 failed, 2 bad command line. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help")) {
      out.print(usage());
      return args.length == 0 ? 2 : 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      return switch (args[0]) {
        case "produce" -> new PerfProduce(new PerfArgs(rest, PerfProduce.OPTIONS), out).run();
        case "consume" -> new PerfConsume(new PerfArgs(rest, PerfConsume.OPTIONS), out).run();
        case "e2e" -> new PerfEndToEnd(new PerfArgs(rest, PerfEndToEnd.OPTIONS), out).run();
        default -> throw new IllegalArgumentException("unknown perf command '" + args[0] + "'");
      };
    } catch (IllegalArgumentException e) {
      err.println("sluice perf: " + e.getMessage());
      err.print(usage());
      return 2;
    } catch (RuntimeException e) {
      err.println("sluice perf: failed: " + e);
      return 1;
    }
  }

  static String usage() {
    return """
        Usage:
          sluice perf produce --bootstrap URL --topic T --records N --record-size S [--acks 0|1|all]
                              [--throughput R] [--batch-size B] [--linger-ms L] [--partitions P]
                              [--max-in-flight M]
          sluice perf consume --bootstrap URL --topic T --records N [--fetch-max-bytes B] [--group G]
                              [--share-group G]
          sluice perf e2e     --bootstrap URL --topic T --records N [--record-size S] [--acks 0|1|all]
                              [--warmup W] [--samples FILE]
        Every command also takes [--username U [--password P]] (HTTP Basic; the password else from SLUICE_PASSWORD)
        or [--bearer-token T] (an OAuth bearer token, for authentication.method OAUTHBEARER).
        Every command also takes [--command-config FILE]: a properties file with Kafka's client TLS keys
        (ssl.truststore.location|type|password, ssl.keystore.location|type|password, ssl.key.password,
        ssl.endpoint.identification.algorithm) for an https:// bootstrap URL, and Kafka's OAuth client keys
        (sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.client.credentials.client.id|secret,
        sasl.oauthbearer.scope, sasl.login.*): tokens got from the identity provider and refreshed.
        The topic is created (P partitions, default 1) when it does not exist. --throughput -1: unthrottled.
        M: requests in flight per partition (default 5).
        consume's B (default 4 MiB) bounds each partition's share of a fetch, for the readers and the group member alike.
        e2e sends W records unmeasured before the N it measures; FILE gets each measured record's send time
        (epoch us) and latency (us), a line each.
        """;
  }

  static SluiceClient client(PerfArgs args) {
    ClientOptions options = ClientOptions.bootstrap(args.string("bootstrap"))
        .properties(commandConfig(args.string("command-config", null)));
    String username = args.string("username", null);
    if (options.oauthClientCredentials() != null && (username != null || args.string("bearer-token", null) != null)) {
      throw new IllegalArgumentException("--username and --bearer-token exclude a token endpoint in --command-config");
    }
    if (username != null) {
      // The password from the environment keeps it out of the process list.
      String password = args.string("password", System.getenv(PASSWORD_ENV));
      if (password == null) {
        throw new IllegalArgumentException("--username needs --password or " + PASSWORD_ENV);
      }
      options.credentials(username, password);
    }
    String token = args.string("bearer-token", null);
    if (token != null) {
      if (username != null) {
        throw new IllegalArgumentException("--bearer-token and --username exclude each other");
      }
      options.bearerToken(token);
    }
    return SluiceClient.create(options);
  }

  /** Kafka tools' {@code --command-config}: client properties from a file; none without the flag. */
  static Map<String, String> commandConfig(String file) {
    if (file == null) {
      return Map.of();
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of(file))) {
      p.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --command-config " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> out = new HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
    return out;
  }

  static final String PASSWORD_ENV = "SLUICE_PASSWORD";

  /** The topic's description, creating it with {@code partitions} partitions if it does not exist. */
  static TopicDescription ensureTopic(SluiceClient client, String topic, int partitions) {
    Admin admin = client.admin();
    try {
      return admin.describeTopic(topic).await().atMost(ADMIN_TIMEOUT);
    } catch (SluiceException e) {
      if (e.errorCode() != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        throw e;
      }
      return admin.createTopic(topic, partitions, -1, Map.of()).await().atMost(ADMIN_TIMEOUT);
    }
  }
}
