package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JIT options {@code bin/sluice} gives the JVM (without an archive, writing one, a perf run; with one,
 * {@link LauncherCdsIT} starts brokers through them and finds no warning): C2's thresholds raised, so a start's run-once code is not compiled by C2 (docs/benchmarks.md, issue 16,
 * twenty-seventh session), and the user's JAVA_OPTS after them, so that theirs win. A stand-in for {@code java}
 * prints the arguments it was given.
 */
class LauncherJitTest {
  private static final List<String> THRESHOLDS = List.of("-XX:Tier4InvocationThreshold=15000",
      "-XX:Tier4MinInvocationThreshold=1800", "-XX:Tier4CompileThreshold=45000", "-XX:Tier4BackEdgeThreshold=120000");

  @TempDir
  Path tmp;

  private List<String> javaArguments(Map<String, String> env, String... args) throws Exception {
    Path java = tmp.resolve("java");
    Files.writeString(java, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > \"" + tmp.resolve("args") + "\"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path jar = Files.writeString(tmp.resolve("sluice.jar"), "not read by the stand-in");
    ProcessBuilder pb = new ProcessBuilder(Path.of("bin", "sluice").toAbsolutePath().toString());
    pb.command().addAll(List.of(args));
    pb.environment().putAll(Map.of("JAVA", java.toString(), "SLUICE_JAR", jar.toString()));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(tmp.resolve("out").toFile());
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("out"))).isZero();
    return Files.readAllLines(tmp.resolve("args"), StandardCharsets.UTF_8);
  }

  @Test
  void theThresholdsComeBeforeTheUsersOptionsWithoutAnArchive() throws Exception {
    List<String> args = javaArguments(Map.of("SLUICE_CDS", "off",
        "JAVA_OPTS", "-Xmx1g -XX:Tier4InvocationThreshold=7000"), "--data-dir", "d");
    assertThat(args).containsSubsequence(THRESHOLDS.get(0), "-XX:Tier4InvocationThreshold=7000", "-jar",
        tmp.resolve("sluice.jar").toRealPath().toString(), "--data-dir", "d");
    assertThat(args).containsAll(THRESHOLDS).contains("-Xmx1g");
  }

  @Test
  void aBrokerRunWritingTheArchiveAndAPerfRunGetThemToo() throws Exception {
    assertThat(javaArguments(Map.of(), "--data-dir", "d")).as("the run that writes the archive as it exits")
        .containsAll(THRESHOLDS).anyMatch(a -> a.startsWith("-XX:ArchiveClassesAtExit="));
    assertThat(javaArguments(Map.of(), "perf", "produce")).containsAll(THRESHOLDS).endsWith("perf", "produce");
  }
}
