package io.sluice.schema;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.RequestBodies;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * Confluent Schema Registry's REST API under {@code /schema-registry}: its paths, JSON shapes, query parameters and
 * error codes ({@link RegistryException}), answered as {@code application/vnd.schemaregistry.v1+json}. Reads answer
 * from this broker's copy of {@code _schemas}; one that finds nothing reads the topic to its end and looks again
 * before answering 404. Parsing (lookups, compatibility) runs on the registry's worker pool.
 */
final class RegistryEndpoint {
  static final String PREFIX = "/schema-registry";
  static final String MEDIA_TYPE = "application/vnd.schemaregistry.v1+json";

  private final SchemaRegistryService service;

  RegistryEndpoint(SchemaRegistryService service) {
    this.service = service;
  }

  private Registry registry() {
    return service.registry();
  }

  void mount(Router router, Handler<RoutingContext> body) {
    String p = PREFIX;
    router.get(p).handler(ready(ctx -> answer(ctx, new JsonObject())));
    router.get(p + "/schemas/types").handler(ready(ctx -> answer(ctx, new JsonArray(ParsedSchema.TYPES))));
    router.get(p + "/schemas/ids/:id").handler(ready(ctx -> read(ctx, () -> schemaById(ctx))));
    router.get(p + "/schemas/ids/:id/schema").handler(ready(ctx -> read(ctx, () -> new RawSchema(byId(ctx).schema()))));
    router.get(p + "/schemas/ids/:id/versions").handler(ready(ctx -> read(ctx, () -> idVersions(ctx, true))));
    router.get(p + "/schemas/ids/:id/subjects").handler(ready(ctx -> read(ctx, () -> idVersions(ctx, false))));
    router.get(p + "/subjects").handler(ready(ctx -> answer(ctx, subjects(ctx))));
    router.post(p + "/subjects/:subject").handler(body).handler(ready(ctx -> parsing(ctx, () -> registry()
        .lookUp(subject(ctx), RequestBodies.jsonObjectOrNull(ctx), flag(ctx, "deleted"), flag(ctx, "normalize"))
        .toAnswer())));
    router.delete(p + "/subjects/:subject").handler(ready(ctx -> change(ctx, ids -> registry()
        .deleteSubject(subject(ctx), flag(ctx, "permanent")))));
    router.get(p + "/subjects/:subject/versions").handler(ready(ctx -> read(ctx, () -> versions(ctx))));
    router.post(p + "/subjects/:subject/versions").handler(body).handler(ready(ctx -> change(ctx, ids -> registry()
        .register(subject(ctx), RequestBodies.jsonObjectOrNull(ctx), flag(ctx, "normalize"), ids))));
    router.get(p + "/subjects/:subject/versions/:version").handler(ready(ctx -> read(ctx, () -> version(ctx)
        .toAnswer())));
    router.get(p + "/subjects/:subject/versions/:version/schema").handler(ready(ctx -> read(ctx,
        () -> new RawSchema(version(ctx).schema()))));
    router.get(p + "/subjects/:subject/versions/:version/referencedby").handler(ready(ctx -> read(ctx,
        () -> referencedBy(ctx))));
    router.delete(p + "/subjects/:subject/versions/:version").handler(ready(ctx -> change(ctx, ids -> registry()
        .deleteVersion(subject(ctx), Registry.version(ctx.pathParam("version")), flag(ctx, "permanent")))));
    router.post(p + "/compatibility/subjects/:subject/versions").handler(body)
        .handler(ready(ctx -> compatibility(ctx, null)));
    router.post(p + "/compatibility/subjects/:subject/versions/:version").handler(body)
        .handler(ready(ctx -> compatibility(ctx, Registry.version(ctx.pathParam("version")))));
    mountSettings(router, body);
  }

  private void mountSettings(Router router, Handler<RoutingContext> body) {
    for (String path : List.of(PREFIX + "/config", PREFIX + "/config/:subject")) {
      router.get(path).handler(ready(ctx -> answer(ctx, config(ctx))));
      router.put(path).handler(body).handler(ready(ctx -> change(ctx, ids -> registry()
          .setCompatibility(settingSubject(ctx), RequestBodies.jsonObjectOrNull(ctx)))));
      router.delete(path).handler(ready(ctx -> change(ctx, ids -> registry()
          .deleteCompatibility(settingSubject(ctx)))));
    }
    for (String path : List.of(PREFIX + "/mode", PREFIX + "/mode/:subject")) {
      router.get(path).handler(ready(ctx -> answer(ctx, new JsonObject().put("mode",
          registry().mode(settingSubject(ctx))))));
      router.put(path).handler(body).handler(ready(ctx -> change(ctx, ids -> registry()
          .setMode(settingSubject(ctx), RequestBodies.jsonObjectOrNull(ctx)))));
    }
  }

  /** A schema's text answered as the body itself ({@code .../schema}). */
  private record RawSchema(String text) {
  }

  // ---- handlers ----

  private interface Route {
    void handle(RoutingContext ctx) throws Exception;
  }

  private Handler<RoutingContext> ready(Route route) {
    return ctx -> {
      if (!service.enabled()) {
        ctx.fail(new SluiceException(ErrorCode.NOT_FOUND, "The schema registry is disabled"
            + " (schema.registry.enable=false)"));
      } else if (!service.ready()) {
        ctx.fail(new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The schema registry is starting"));
      } else {
        try {
          route.handle(ctx);
        } catch (Exception e) {
          fail(ctx, e);
        }
      }
    };
  }

  /** Answers {@code read} from the state; a 404 is answered only after reading the topic to its end. */
  private void read(RoutingContext ctx, Supplier<Object> read) {
    attempt(read).recover(t -> isNotFound(t) ? service.caughtUp().compose(v -> attempt(read))
        : Future.failedFuture(t)).onSuccess(a -> answer(ctx, a)).onFailure(t -> fail(ctx, t));
  }

  /** As {@link #read}, on the registry's worker pool: {@code read} parses schemas. */
  private void parsing(RoutingContext ctx, Supplier<Object> read) {
    Supplier<Future<Object>> off = () -> service.readers().executeBlocking(read::get, false);
    off.get().recover(t -> isNotFound(t) ? service.caughtUp().compose(v -> off.get()) : Future.failedFuture(t))
        .onSuccess(a -> answer(ctx, a)).onFailure(t -> fail(ctx, t));
  }

  private void change(RoutingContext ctx, Registry.ChangeMaker change) {
    service.change(change).onSuccess(a -> answer(ctx, a)).onFailure(t -> fail(ctx, t));
  }

  private void compatibility(RoutingContext ctx, Integer version) {
    boolean verbose = flag(ctx, "verbose");
    parsing(ctx, () -> {
      List<String> problems = registry().compatibilityProblems(subject(ctx), version,
          RequestBodies.jsonObjectOrNull(ctx));
      JsonObject out = new JsonObject().put("is_compatible", problems.isEmpty());
      return verbose ? out.put("messages", new JsonArray(problems)) : out;
    });
  }

  private static Future<Object> attempt(Supplier<Object> read) {
    try {
      return Future.succeededFuture(read.get());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static boolean isNotFound(Throwable t) {
    return t instanceof RegistryException e && e.httpStatus() == 404;
  }

  private static void answer(RoutingContext ctx, Object answer) {
    String text = answer instanceof RawSchema raw ? raw.text() : io.vertx.core.json.Json.encode(answer);
    ctx.response().setStatusCode(200).putHeader("Content-Type", MEDIA_TYPE).end(text);
  }

  private static void fail(RoutingContext ctx, Throwable t) {
    Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause() : t;
    if (cause instanceof RegistryException e) {
      ctx.response().setStatusCode(e.httpStatus()).putHeader("Content-Type", MEDIA_TYPE)
          .end(new JsonObject().put("error_code", e.errorCode()).put("message", Echo.message(e.getMessage()))
              .encode());
    } else {
      ctx.fail(cause);
    }
  }

  // ---- reads ----

  private static String subject(RoutingContext ctx) {
    return ctx.pathParam("subject");
  }

  /** The subject a config or mode route names; the global one without. */
  private static String settingSubject(RoutingContext ctx) {
    String s = ctx.pathParam("subject");
    return s == null ? RegistryState.GLOBAL : s;
  }

  private static boolean flag(RoutingContext ctx, String name) {
    return "true".equalsIgnoreCase(ctx.queryParams().get(name));
  }

  private StoredSchema byId(RoutingContext ctx) {
    int id;
    try {
      id = Integer.parseInt(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      throw RegistryException.schemaNotFound(ctx.pathParam("id"));
    }
    StoredSchema s = registry().state().byId(id);
    if (s == null) {
      throw RegistryException.schemaNotFound(String.valueOf(id));
    }
    return s;
  }

  /** {@code GET /schemas/ids/{id}}: the schema, its type unless Avro and its references, as Confluent. */
  private JsonObject schemaById(RoutingContext ctx) {
    JsonObject out = byId(ctx).toAnswer();
    out.remove("subject");
    out.remove("version");
    out.remove("id");
    return out;
  }

  /** {@code /schemas/ids/{id}/versions} ({subject, version} pairs) or {@code /subjects} (names). */
  private JsonArray idVersions(RoutingContext ctx, boolean pairs) {
    StoredSchema s = byId(ctx);
    JsonArray out = new JsonArray();
    registry().state().withId(s.id(), flag(ctx, "deleted")).forEach(v -> out.add(pairs
        ? new JsonObject().put("subject", v.subject()).put("version", v.version()) : v.subject()));
    return pairs ? out : new JsonArray(out.stream().distinct().sorted().toList());
  }

  private JsonArray subjects(RoutingContext ctx) {
    String prefix = ctx.queryParams().get("subjectPrefix");
    return new JsonArray(registry().state().subjects(flag(ctx, "deleted")).stream()
        .filter(s -> prefix == null || s.startsWith(prefix)).toList());
  }

  private JsonArray versions(RoutingContext ctx) {
    boolean deleted = flag(ctx, "deleted");
    List<Integer> versions = registry().state().versions(subject(ctx)).stream().filter(s -> deleted || !s.deleted())
        .map(StoredSchema::version).toList();
    if (versions.isEmpty()) {
      throw RegistryException.subjectNotFound(subject(ctx));
    }
    return new JsonArray(versions);
  }

  private StoredSchema version(RoutingContext ctx) {
    return registry().get(subject(ctx), Registry.version(ctx.pathParam("version")), flag(ctx, "deleted"));
  }

  private JsonArray referencedBy(RoutingContext ctx) {
    StoredSchema target = version(ctx);
    return new JsonArray(registry().state().referencing(target.subject(), target.version()).stream()
        .filter(s -> !s.deleted()).map(StoredSchema::id).distinct().sorted().toList());
  }

  private JsonObject config(RoutingContext ctx) {
    String subject = settingSubject(ctx);
    String own = registry().state().compatibility(subject);
    if (own == null && !subject.isEmpty() && !flag(ctx, "defaultToGlobal")) {
      throw Registry.compatibilityNotConfigured(subject);
    }
    String level = own != null ? own : registry().level(subject).name();
    return new JsonObject().put("compatibilityLevel", level);
  }
}
