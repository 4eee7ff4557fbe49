package io.sluice.cluster;

import io.sluice.broker.testing.ProcessOutput;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker process's blocked-event-loop warnings, less those a SIGSTOP explains. A stopped process freezes its
 * checker too; once continued, a loop that was mid-task at the stop is reported blocked for the whole pause (CI saw
 * "blocked for 3980 ms" after ClusterIT paused a leader past its 4 s session). So the time the process spent
 * stopped is taken off each report's duration, and only a remainder over Vert.x's limit counts.
 */
final class BlockedLoopReports {
  /** Vert.x's default event-loop limit, which brokers keep. */
  static final long LIMIT_MS = 2_000;
  private static final Pattern WARNING = Pattern.compile(
      "^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}) .*has been blocked for (\\d+) ms");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  /** Wall-clock [stop, continue] intervals in epoch ms; an open one ends at Long.MAX_VALUE. */
  private final List<long[]> stopped = new CopyOnWriteArrayList<>();

  void stopping(long epochMs) {
    stopped.add(new long[] {epochMs, Long.MAX_VALUE});
  }

  void continued(long epochMs) {
    for (long[] interval : stopped) {
      if (interval[1] == Long.MAX_VALUE) {
        interval[1] = epochMs;
      }
    }
  }

  /** Each warning in {@code lines} not explained by a stop, with the stack lines that follow it. */
  List<String> reports(String broker, List<String> lines) {
    List<String> reports = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!line.contains("has been blocked for")) {
        continue;
      }
      StringBuilder report = new StringBuilder(broker + ": " + line);
      while (i + 1 < lines.size() && ProcessOutput.isStackLine(lines.get(i + 1))) {
        report.append('\n').append(lines.get(++i));
      }
      if (!explainedByStop(line)) {
        reports.add(report.toString());
      }
    }
    return reports;
  }

  boolean explainedByStop(String line) {
    Matcher m = WARNING.matcher(line);
    if (!m.find()) {
      return false;
    }
    long reportedAt = LocalDateTime.parse(m.group(1), TIME).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
    long blockedMs = Long.parseLong(m.group(2));
    long blockedSince = reportedAt - blockedMs;
    long stoppedMs = 0;
    for (long[] interval : stopped) {
      stoppedMs += Math.max(0, Math.min(interval[1], reportedAt) - Math.max(interval[0], blockedSince));
    }
    return stoppedMs > 0 && blockedMs - stoppedMs < LIMIT_MS;
  }
}
