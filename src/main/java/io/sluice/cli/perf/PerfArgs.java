package io.sluice.cli.perf;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs of a perf command; unknown names are refused, missing required ones too. */
final class PerfArgs {
  private final Map<String, String> values = new HashMap<>();

  PerfArgs(String[] args, java.util.Set<String> known) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value, got '" + a + "'");
      }
      String name = a.substring(2);
      if (!known.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name + " (known: " + known + ")");
      }
      values.put(name, args[++i]);
    }
  }

  String string(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  long number(String name) {
    return Long.parseLong(string(name));
  }

  long number(String name, long fallback) {
    String v = values.get(name);
    return v == null ? fallback : Long.parseLong(v);
  }
}
