package io.sluice.schema;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * This broker's copy of {@code _schemas}: every subject's versions, schemas by id, compatibility levels and modes,
 * kept by applying the topic's records in order ({@link #apply}). Read from any event loop and written by the tail,
 * so every method holds the object's lock (reads copy what they hand out).
 */
final class RegistryState {
  private static final System.Logger LOG = System.getLogger(RegistryState.class.getName());
  /** The subject name Confluent's records use for the global config and mode: none. */
  static final String GLOBAL = "";

  private final Map<String, TreeMap<Integer, StoredSchema>> subjects = new HashMap<>();
  private final Map<Integer, StoredSchema> byId = new HashMap<>();
  private final Map<String, String> compatibility = new HashMap<>();
  private final Map<String, String> modes = new HashMap<>();
  private int maxId;

  /** Applies one record of {@code _schemas} (null value: a tombstone). A record it cannot read is skipped. */
  synchronized void apply(String key, String value) {
    JsonObject k;
    try {
      k = new JsonObject(key);
    } catch (DecodeException | NullPointerException e) {
      LOG.log(Level.WARNING, "Skipping a record of _schemas whose key is not a JSON object");
      return;
    }
    String subject = k.getString("subject") == null ? GLOBAL : k.getString("subject");
    try {
      switch (String.valueOf(k.getString("keytype"))) {
        case "SCHEMA" -> applySchema(subject, k.getInteger("version"), value);
        case "CONFIG" -> put(compatibility, subject, value, "compatibilityLevel");
        case "MODE" -> put(modes, subject, value, "mode");
        default -> { } // Confluent's NOOP and DELETE_SUBJECT records change nothing here
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "Skipping a malformed record of _schemas with key " + key + ": " + e);
    }
  }

  private void applySchema(String subject, int version, String value) {
    if (value == null) {
      TreeMap<Integer, StoredSchema> versions = subjects.get(subject);
      if (versions != null) {
        StoredSchema gone = versions.remove(version);
        if (versions.isEmpty()) {
          subjects.remove(subject);
        }
        if (gone != null && byId.get(gone.id()) == gone) {
          byId.remove(gone.id());
          everyVersion().stream().filter(s -> s.id() == gone.id()).findFirst().ifPresent(s -> byId.put(s.id(), s));
        }
      }
      return;
    }
    StoredSchema schema = StoredSchema.fromRecord(new JsonObject(value));
    subjects.computeIfAbsent(subject, s -> new TreeMap<>()).put(version, schema);
    StoredSchema known = byId.get(schema.id());
    if (known == null || known.deleted() && !schema.deleted()) {
      byId.put(schema.id(), schema);
    }
    maxId = Math.max(maxId, schema.id());
  }

  private static void put(Map<String, String> into, String subject, String value, String field) {
    if (value == null) {
      into.remove(subject);
    } else {
      into.put(subject, new JsonObject(value).getString(field));
    }
  }

  private List<StoredSchema> everyVersion() {
    List<StoredSchema> out = new ArrayList<>();
    subjects.values().forEach(v -> out.addAll(v.values()));
    return out;
  }

  /** The subject's versions, soft-deleted ones too; empty when it has none. */
  synchronized List<StoredSchema> versions(String subject) {
    TreeMap<Integer, StoredSchema> versions = subjects.get(subject);
    return versions == null ? List.of() : new ArrayList<>(versions.values());
  }

  /** The subject's versions that are not soft-deleted, oldest first. */
  List<StoredSchema> liveVersions(String subject) {
    return versions(subject).stream().filter(s -> !s.deleted()).toList();
  }

  /** Subjects with a live version (with {@code deleted}, any version), sorted. */
  synchronized List<String> subjects(boolean deleted) {
    TreeSet<String> out = new TreeSet<>();
    subjects.forEach((name, versions) -> {
      if (deleted || versions.values().stream().anyMatch(s -> !s.deleted())) {
        out.add(name);
      }
    });
    return new ArrayList<>(out);
  }

  /** A schema by its id (a live version's copy when one has it), or null. */
  synchronized StoredSchema byId(int id) {
    return byId.get(id);
  }

  /** Every version that has schema {@code id}, soft-deleted ones only with {@code deleted}. */
  synchronized List<StoredSchema> withId(int id, boolean deleted) {
    return everyVersion().stream().filter(s -> s.id() == id && (deleted || !s.deleted()))
        .sorted(java.util.Comparator.comparing(StoredSchema::subject).thenComparing(StoredSchema::version)).toList();
  }

  /** Every version whose references name {@code subject}'s {@code version}. */
  synchronized List<StoredSchema> referencing(String subject, int version) {
    return everyVersion().stream().filter(s -> s.references().stream()
        .anyMatch(r -> r.subject().equals(subject) && r.version() == version)).toList();
  }

  /** Every distinct schema (one version per id), for the same-schema search of a registration. */
  synchronized List<StoredSchema> distinctSchemas() {
    return new ArrayList<>(byId.values());
  }

  /** The highest id any record read so far carried (ids are never given twice: see {@link IdAllocator}). */
  synchronized int maxId() {
    return maxId;
  }

  /** The compatibility level set on {@code subject} ({@link #GLOBAL}: the global one), or null. */
  synchronized String compatibility(String subject) {
    return compatibility.get(subject);
  }

  /** The mode set on {@code subject} ({@link #GLOBAL}: the global one), or null. */
  synchronized String mode(String subject) {
    return modes.get(subject);
  }
}
