package io.sluice.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Confluent's compatibility levels. BACKWARD: the new schema reads what the latest version wrote (consumers upgrade
 * first); FORWARD: the latest version reads what the new one writes (producers upgrade first); FULL: both;
 * {@code _TRANSITIVE}: against every live version, not only the latest; NONE: no check.
 */
enum Compatibility {
  NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

  static final Compatibility DEFAULT = BACKWARD;

  /** The level a request names (any case); 42203 for anything else. */
  static Compatibility parse(Object value) {
    if (value instanceof String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // answered below
      }
    }
    throw new RegistryException(RegistryException.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level."
        + " Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and"
        + " full_transitive");
  }

  private boolean transitive() {
    return name().endsWith("_TRANSITIVE");
  }

  private boolean backward() {
    return this != NONE && !name().startsWith("FORWARD");
  }

  private boolean forward() {
    return this != NONE && !name().startsWith("BACKWARD");
  }

  /**
   * The reasons {@code candidate} is incompatible with {@code existing} (live versions, oldest first, with their
   * numbers) at this level, in Confluent's verbose messages; empty when compatible.
   */
  List<String> problems(ParsedSchema candidate, List<Versioned> existing) {
    List<String> out = new ArrayList<>();
    if (this == NONE || existing.isEmpty()) {
      return out;
    }
    List<Versioned> against = new ArrayList<>(transitive() ? existing : existing.subList(existing.size() - 1,
        existing.size()));
    java.util.Collections.reverse(against); // newest first, as Confluent reports the nearest breaking version
    for (Versioned old : against) {
      List<String> found = new ArrayList<>();
      if (!candidate.type().equals(old.schema().type())) {
        found.add("{errorType:'SCHEMA_TYPE_CHANGED', description:'Incompatible because of different schema type: "
            + old.schema().type() + " before, " + candidate.type() + " now'}");
      } else {
        if (backward()) {
          found.addAll(candidate.readProblems(old.schema(), true));
        }
        if (forward()) {
          found.addAll(old.schema().readProblems(candidate, false));
        }
      }
      if (!found.isEmpty()) {
        out.addAll(found);
        out.add("{oldSchemaVersion: " + old.version() + "}");
        out.add("{oldSchema: '" + old.text() + "'}");
        out.add("{compatibility: '" + name() + "'}");
        return out;
      }
    }
    return out;
  }

  /** An existing version: its number, its text and its parse. */
  record Versioned(int version, String text, ParsedSchema schema) {
  }
}
