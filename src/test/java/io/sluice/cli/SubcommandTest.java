package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SubcommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Subcommand command = new Subcommand("sluice thing", "Usage: sluice thing do --a X\n", true);

  private int run(Subcommand.Action action, String... args) {
    return command.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), action);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpPrintsTheUsageAndNoArgumentIsAUsageError() {
    assertThat(run((verb, o) -> 9, "--help")).isZero();
    assertThat(out()).isEqualTo("Usage: sluice thing do --a X\n");
    out.reset();
    assertThat(run((verb, o) -> 9)).isEqualTo(2);
    assertThat(out()).startsWith("Usage:");
  }

  @Test
  void theActionGetsTheVerbAndTheOptionsAndItsExitCodeIsReturned() {
    AtomicReference<Map<String, String>> seen = new AtomicReference<>();
    assertThat(run((verb, o) -> {
      seen.set(Map.of("verb", verb, "a", o.get("a")));
      return 7;
    }, "do", "--a", "x")).isEqualTo(7);
    assertThat(seen.get()).isEqualTo(Map.of("verb", "do", "a", "x"));
  }

  @Test
  void aMalformedOptionOrAUsageExceptionNamesTheProblemThenTheUsage() {
    assertThat(run((verb, o) -> 0, "do", "--a")).isEqualTo(2);
    assertThat(err()).isEqualTo("sluice thing: expected --name value, got '--a'\nUsage: sluice thing do --a X\n\n");
    err.reset();
    assertThat(run((verb, o) -> {
      throw new UsageException("--a is required");
    }, "do")).isEqualTo(2);
    assertThat(err()).startsWith("sluice thing: --a is required\nUsage:");
  }

  @Test
  void aFailureOfTheCommandIsOneLineAndExitOne() {
    assertThat(run((verb, o) -> {
      throw new java.io.IOException("no route to host");
    }, "do", "--a", "x")).isEqualTo(1);
    assertThat(err()).isEqualTo("sluice thing: no route to host\n");
  }

  @Test
  void withoutVerbsTheOptionsStartAtTheFirstArgument() {
    Subcommand plain = new Subcommand("sluice plain", "Usage: sluice plain --a X\n", false);
    AtomicReference<String> seen = new AtomicReference<>();
    int code = plain.run(new String[] {"--a", "x"}, new PrintStream(out), new PrintStream(err), (verb, o) -> {
      seen.set(verb + "/" + o.get("a"));
      return 0;
    });
    assertThat(code).isZero();
    assertThat(seen.get()).isEqualTo("null/x");
    assertThat(plain.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err), (verb, o) -> 9)).isZero();
    assertThat(out()).isEqualTo("Usage: sluice plain --a X\n");
  }

  @Test
  void theUsersCommandRefusesAnUnknownVerbBeforeReachingZooKeeper() {
    int code = UsersCommand.run(new String[] {"purge", "--zookeeper", "127.0.0.1:1"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err()).startsWith("sluice users: unknown command 'purge'\n").contains("sluice users set");
  }

  @Test
  void theClusterCommandNamesWhatIsMissing() {
    int code = ClusterCommand.run(new String[] {"unregister", "--id", "3"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err()).startsWith("sluice cluster: unregister with --bootstrap-server and --id is required\n");
  }
}
