package io.sluice.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * {@code sluice cluster unregister --bootstrap-server URL --id N}: Kafka's {@code kafka-cluster.sh unregister}, over
 * any broker's HTTP API ({@code DELETE /brokers/{id}}): a broker retired for good is forgotten, so that internal
 * topics' default replication factor no longer counts it.
 */
public final class ClusterCommand {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private ClusterCommand() {
  }

  static String usage() {
    return """
        Usage:
          sluice cluster unregister --bootstrap-server http://HOST:PORT --id N [--user U]
        Forgets broker N, stopped for good and a replica of no partition (reassign its partitions first). With
        authentication on, --user names a user with Alter on the cluster; its password comes from SLUICE_PASSWORD.
        """;
  }

  /** Runs {@code sluice cluster ...} (the arguments after {@code cluster}); returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return new Subcommand("sluice cluster", usage(), true).run(args, out, err, (verb, options) -> {
      if (!verb.equals("unregister") || !options.containsKey("bootstrap-server") || !options.containsKey("id")) {
        throw new UsageException("unregister with --bootstrap-server and --id is required");
      }
      return unregister(options, out, err);
    });
  }

  private static int unregister(Map<String, String> o, PrintStream out, PrintStream err) throws Exception {
    int id = Integer.parseInt(o.get("id"));
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(o.get("bootstrap-server").replaceAll("/+$", "")
        + "/brokers/" + id)).timeout(TIMEOUT).DELETE();
    if (o.containsKey("user")) {
      String password = System.getenv(UsersCommand.PASSWORD_ENV);
      request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((o.get("user") + ":"
          + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8)));
    }
    HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()
        .send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 204) {
      out.println("Broker " + id + " is unregistered");
      return 0;
    }
    String message = response.body();
    try {
      JsonObject error = new JsonObject(message);
      message = error.getString("message") + " (error " + error.getInteger("error_code") + ")";
    } catch (RuntimeException notJson) {
      // answered by something else than a broker: shown as it is
    }
    err.println("sluice cluster: HTTP " + response.statusCode() + ": " + message);
    return 1;
  }
}
