package io.sluice.schema;

import io.sluice.schema.Compatibility.Versioned;
import io.sluice.schema.StoredSchema.Reference;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry's rules over this broker's {@link RegistryState}: which version a request names, whether a schema is
 * already registered, compatibility, soft and permanent deletes, levels and modes. Reads answer from the state;
 * changes return the records to write ({@link Change}), which {@link SchemaRegistryService} writes under the
 * cluster's {@link WriteLock} after reading the topic to its end. Parsing runs on worker threads, never an event loop.
 */
final class Registry {
  static final String READWRITE = "READWRITE";
  static final String READONLY = "READONLY";

  private final RegistryState state;
  /** Parses of stored schemas by id (a schema and its references never change under one id). */
  private final Map<Integer, ParsedSchema> parsed = new ConcurrentHashMap<>();

  Registry(RegistryState state) {
    this.state = state;
  }

  RegistryState state() {
    return state;
  }

  /** Records to write ({@code value} null: a tombstone), and the answer once they are written. */
  record Change(List<String[]> records, Object answer) {
    static Change of(Object answer) {
      return new Change(new ArrayList<>(), answer);
    }

    Change write(String key, String value) {
      records.add(new String[] {key, value});
      return this;
    }
  }

  // ---- versions ----

  /** A version path segment: "latest", -1 (latest) or 1..2^31-1; 42202 otherwise. -1 stands for latest. */
  static int version(String text) {
    if ("latest".equals(text)) {
      return -1;
    }
    try {
      int v = Integer.parseInt(text);
      if (v >= 1 || v == -1) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new RegistryException(RegistryException.INVALID_VERSION, "The specified version '" + text + "' is not a"
        + " valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
  }

  /** The subject's version {@code version} (-1: its latest live one); 40401 or 40402 when there is none. */
  StoredSchema get(String subject, int version, boolean deleted) {
    List<StoredSchema> all = state.versions(subject);
    if (all.stream().noneMatch(s -> deleted || !s.deleted())) {
      throw RegistryException.subjectNotFound(subject);
    }
    StoredSchema found = version == -1 ? latestLive(all)
        : all.stream().filter(s -> s.version() == version && (deleted || !s.deleted())).findFirst().orElse(null);
    if (found == null) {
      throw RegistryException.versionNotFound(version);
    }
    return found;
  }

  private static StoredSchema latestLive(List<StoredSchema> all) {
    StoredSchema latest = null;
    for (StoredSchema s : all) {
      latest = s.deleted() ? latest : s;
    }
    return latest;
  }

  /** A reference's target: its subject's version, -1 its latest live one; null when there is none. */
  StoredSchema resolve(Reference ref) {
    try {
      return get(ref.subject(), ref.version(), true);
    } catch (RegistryException e) {
      return null;
    }
  }

  /** The stored schema's parse, cached by id. */
  ParsedSchema parse(StoredSchema s) {
    return parsed.computeIfAbsent(s.id(), id -> ParsedSchema.parse(s.type(), s.schema(), s.references(),
        this::resolve));
  }

  /** The request body's schema parsed: {@code schema}, {@code schemaType} (default AVRO) and {@code references}. */
  ParsedRequest parseRequest(JsonObject body) {
    return parseRequest(body, false);
  }

  /** As {@link #parseRequest(JsonObject)}; {@code normalize}: compare and keep the schema's normalized text. */
  ParsedRequest parseRequest(JsonObject body, boolean normalize) {
    if (body == null || !(body.getValue("schema") instanceof String text)) {
      throw RegistryException.invalidSchema("The request body needs a schema (a string)");
    }
    Object type = body.getValue("schemaType", StoredSchema.AVRO);
    List<Reference> refs = StoredSchema.references(body.getValue("references") instanceof io.vertx.core.json.JsonArray a
        ? a : null);
    ParsedSchema schema = ParsedSchema.parse(String.valueOf(type), text, refs, this::resolve);
    return new ParsedRequest(normalize ? schema.normalized() : text, refs, schema, normalize);
  }

  /** A request's schema: its text (normalized with {@code normalize}), references and parse. */
  record ParsedRequest(String text, List<Reference> references, ParsedSchema schema, boolean normalize) {
    boolean sameAs(StoredSchema stored, ParsedSchema storedParse) {
      return storedParse.type().equals(schema.type()) && stored.references().equals(references)
          && (normalize ? storedParse.normalized().equals(schema.normalized())
              : storedParse.canonical().equals(schema.canonical()));
    }
  }

  /** The subject's version holding the request's schema (soft-deleted ones with {@code deleted}), or null. */
  StoredSchema find(String subject, ParsedRequest request, boolean deleted) {
    for (StoredSchema s : state.versions(subject)) {
      if ((deleted || !s.deleted()) && sameSchema(s, request)) {
        return s;
      }
    }
    return null;
  }

  private boolean sameSchema(StoredSchema s, ParsedRequest request) {
    try {
      return request.sameAs(s, parse(s));
    } catch (RegistryException e) {
      return false; // a stored schema that no longer parses (a reference gone) matches nothing
    }
  }

  /** {@code POST /subjects/{s}}: the version of the subject holding the schema; 40401, 40403. */
  StoredSchema lookUp(String subject, JsonObject body, boolean deleted, boolean normalize) {
    if (state.versions(subject).stream().noneMatch(s -> deleted || !s.deleted())) {
      throw RegistryException.subjectNotFound(subject);
    }
    StoredSchema found = find(subject, parseRequest(body, normalize), deleted);
    if (found == null) {
      throw RegistryException.schemaNotFound("not found");
    }
    return found;
  }

  // ---- compatibility ----

  Compatibility level(String subject) {
    String own = state.compatibility(subject);
    String level = own != null ? own : state.compatibility(RegistryState.GLOBAL);
    return level == null ? Compatibility.DEFAULT : Compatibility.valueOf(level);
  }

  private List<Versioned> versioned(List<StoredSchema> versions) {
    List<Versioned> out = new ArrayList<>();
    for (StoredSchema s : versions) {
      out.add(new Versioned(s.version(), s.schema(), parse(s)));
    }
    return out;
  }

  /**
   * {@code POST /compatibility/subjects/{s}/versions[/{v}]}: the problems of the request's schema against version
   * {@code version} (-1: the latest; null: every live version the level names).
   */
  List<String> compatibilityProblems(String subject, Integer version, JsonObject body) {
    ParsedRequest request = parseRequest(body);
    Compatibility level = level(subject);
    List<StoredSchema> against;
    if (version == null) {
      against = state.liveVersions(subject);
    } else if (version == -1) {
      StoredSchema latest = latestLive(state.versions(subject));
      against = latest == null ? List.of() : List.of(latest);
    } else {
      against = List.of(get(subject, version, false));
    }
    return level.problems(request.schema(), versioned(against));
  }

  // ---- registration ----

  /**
   * {@code POST /subjects/{s}/versions[?normalize=true]}: the id (the same for the same schema), or the record that
   * gives one; normalized, the schema is compared and kept in its normalized form.
   */
  Change register(String subject, JsonObject body, boolean normalize, IdSource ids) throws Exception {
    ParsedRequest request = parseRequest(body, normalize);
    writable(subject);
    StoredSchema existing = find(subject, request, false);
    if (existing != null) {
      return Change.of(new JsonObject().put("id", existing.id()));
    }
    List<StoredSchema> live = state.liveVersions(subject);
    List<String> problems = level(subject).problems(request.schema(), versioned(live));
    if (!problems.isEmpty()) {
      throw new RegistryException(RegistryException.INCOMPATIBLE, "Schema being registered is incompatible with an"
          + " earlier schema for subject \"" + subject + "\", details: " + problems);
    }
    int id = sameSchemaId(request);
    if (id == 0) {
      id = ids.next(state.maxId());
    }
    int version = state.versions(subject).stream().mapToInt(StoredSchema::version).max().orElse(0) + 1;
    StoredSchema stored = new StoredSchema(subject, version, id, request.schema().type(), request.text(),
        request.references(), false);
    return Change.of(new JsonObject().put("id", id)).write(stored.key(), stored.toRecord().encode());
  }

  /** A change computed from the state read to its end, under the lock. */
  interface ChangeMaker {
    Change make(IdSource ids) throws Exception;
  }

  /** Gives a new id: above {@code seen} and every id given before. */
  interface IdSource {
    int next(int seen) throws Exception;
  }

  /** The id another subject (or a deleted version) gave the same schema, or 0. */
  private int sameSchemaId(ParsedRequest request) {
    for (StoredSchema s : state.distinctSchemas()) {
      if (sameSchema(s, request)) {
        return s.id();
      }
    }
    return 0;
  }

  /** 42205 when the subject (or, without its own mode, the registry) is read-only. */
  void writable(String subject) {
    if (READONLY.equals(mode(subject))) {
      throw new RegistryException(RegistryException.OPERATION_NOT_PERMITTED, "Subject " + subject
          + " is in read-only mode");
    }
  }

  String mode(String subject) {
    String own = state.mode(subject);
    return Objects.requireNonNullElse(own != null ? own : state.mode(RegistryState.GLOBAL), READWRITE);
  }

  // ---- deletes ----

  /** {@code DELETE /subjects/{s}[?permanent=true]}: the versions deleted. */
  Change deleteSubject(String subject, boolean permanent) {
    List<StoredSchema> all = state.versions(subject);
    if (all.isEmpty()) {
      throw RegistryException.subjectNotFound(subject);
    }
    writable(subject);
    List<StoredSchema> live = all.stream().filter(s -> !s.deleted()).toList();
    Change change = Change.of(null);
    List<Integer> versions = new ArrayList<>();
    if (!permanent) {
      if (live.isEmpty()) {
        throw new RegistryException(RegistryException.SUBJECT_SOFT_DELETED, "Subject '" + subject + "' was soft"
            + " deleted.Set permanent=true to delete permanently");
      }
      live.forEach(this::unreferenced);
      live.forEach(s -> change.write(s.key(), s.withDeleted(true).toRecord().encode()));
      live.forEach(s -> versions.add(s.version()));
    } else {
      if (!live.isEmpty()) {
        throw new RegistryException(RegistryException.SUBJECT_NOT_SOFT_DELETED, "Subject '" + subject + "' was not"
            + " deleted first before being permanently deleted");
      }
      all.forEach(this::unreferenced);
      all.forEach(s -> change.write(s.key(), null));
      all.forEach(s -> versions.add(s.version()));
      forgetSettings(subject, change);
    }
    return new Change(change.records(), versions);
  }

  private void forgetSettings(String subject, Change change) {
    if (state.compatibility(subject) != null) {
      change.write(configKey(subject), null);
    }
    if (state.mode(subject) != null) {
      change.write(modeKey(subject), null);
    }
  }

  /** {@code DELETE /subjects/{s}/versions/{v}[?permanent=true]}: the version deleted. */
  Change deleteVersion(String subject, int version, boolean permanent) {
    StoredSchema target = get(subject, version, true);
    writable(subject);
    if (!permanent && target.deleted()) {
      throw new RegistryException(RegistryException.VERSION_SOFT_DELETED, "Subject '" + subject + "' Version "
          + target.version() + " was soft deleted.Set permanent=true to delete permanently");
    }
    if (permanent && !target.deleted()) {
      throw new RegistryException(RegistryException.VERSION_NOT_SOFT_DELETED, "Subject '" + subject + "' Version "
          + target.version() + " was not deleted first before being permanently deleted");
    }
    unreferenced(target);
    Change change = Change.of(target.version());
    change.write(target.key(), permanent ? null : target.withDeleted(true).toRecord().encode());
    if (permanent && state.versions(subject).size() == 1) {
      forgetSettings(subject, change);
    }
    return change;
  }

  /** 42206 when a live schema references {@code s}: deleting it would leave that schema unreadable. */
  private void unreferenced(StoredSchema s) {
    List<Integer> by = state.referencing(s.subject(), s.version()).stream().filter(r -> !r.deleted())
        .map(StoredSchema::id).distinct().toList();
    if (!by.isEmpty()) {
      throw new RegistryException(RegistryException.REFERENCE_EXISTS, "One or more references exist to the schema"
          + " {subject=" + s.subject() + ", version=" + s.version() + "}: schema ids " + by);
    }
  }

  // ---- config and mode ----

  static String configKey(String subject) {
    return settingKey("CONFIG", subject);
  }

  static String modeKey(String subject) {
    return settingKey("MODE", subject);
  }

  private static String settingKey(String type, String subject) {
    return new JsonObject().put("keytype", type).put("subject", subject.isEmpty() ? null : subject).put("magic", 0)
        .encode();
  }

  /** {@code PUT /config[/{s}]}. */
  Change setCompatibility(String subject, JsonObject body) {
    Compatibility level = Compatibility.parse(body == null ? null : body.getValue("compatibility"));
    return Change.of(new JsonObject().put("compatibility", level.name())).write(configKey(subject),
        new JsonObject().put("compatibilityLevel", level.name()).encode());
  }

  /** {@code DELETE /config[/{s}]}: the level it had. */
  Change deleteCompatibility(String subject) {
    String had = state.compatibility(subject);
    if (had == null && !subject.isEmpty()) {
      throw compatibilityNotConfigured(subject);
    }
    return Change.of(new JsonObject().put("compatibilityLevel", had == null ? Compatibility.DEFAULT.name() : had))
        .write(configKey(subject), null);
  }

  static RegistryException compatibilityNotConfigured(String subject) {
    return new RegistryException(RegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED, "Subject '" + subject
        + "' does not have subject-level compatibility configured");
  }

  /** {@code PUT /mode[/{s}]}: READWRITE or READONLY (IMPORT is not supported: 42204). */
  Change setMode(String subject, JsonObject body) {
    Object mode = body == null ? null : body.getValue("mode");
    if (!READWRITE.equals(mode) && !READONLY.equals(mode)) {
      throw new RegistryException(RegistryException.INVALID_MODE, "Invalid mode " + mode + ". Valid values are"
          + " READWRITE and READONLY (this registry does not support IMPORT)");
    }
    return Change.of(new JsonObject().put("mode", mode)).write(modeKey(subject),
        new JsonObject().put("mode", mode).encode());
  }
}
