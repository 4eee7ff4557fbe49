package io.sluice.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs of a bench command line, with typed lookups and defaults. */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();

  BenchArgs(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("Expected --name value pairs, got '" + args[i] + "'");
      }
      values.put(args[i].substring(2), args[++i]);
    }
  }

  String string(String name, String dflt) {
    return values.getOrDefault(name, dflt);
  }

  long number(String name, long dflt) {
    String v = values.get(name);
    return v == null ? dflt : Long.parseLong(v);
  }

  int integer(String name, int dflt) {
    return (int) number(name, dflt);
  }
}
