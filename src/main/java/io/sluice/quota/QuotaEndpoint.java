package io.sluice.quota;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.RequestBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * The client quotas' HTTP API (Kafka's DescribeClientQuotas and AlterClientQuotas):
 *
 * <pre>
 * GET    /client-quotas[?user=U][&amp;client-id=C][&amp;strict=true]   the entities matching the filter and their quotas
 * POST   /client-quotas:alter   {"entries": [{"entity": {"user"?, "client-id"?}, "ops": [{"key", "value"?, "remove"?}]}],
 *                                "validate_only"?}   all or nothing
 * DELETE /client-quotas?user=U&amp;client-id=C                       every quota of exactly that entity
 * </pre>
 *
 * A filter part names an entity ({@code alice}), the default one ({@code <default>}) or any of the type ({@code *});
 * a type not named matches anything unless {@code strict=true}, which leaves out entities with parts not named.
 */
final class QuotaEndpoint {
  static final String PATH = "/client-quotas";
  static final String ANY = "*";
  private static final int MAX_NAME_CHARS = 1_024;

  private final Function<Callable<Void>, Future<Void>> blocking;
  private final ClientQuotas quotas;

  /** {@code blocking} runs a ZooKeeper write on a worker. */
  QuotaEndpoint(ClientQuotas quotas, Function<Callable<Void>, Future<Void>> blocking) {
    this.quotas = quotas;
    this.blocking = blocking;
  }

  /** {@code body}: the API's JSON body reader ({@link io.sluice.http.HttpExtension#mount}). */
  void mount(Router router, Handler<RoutingContext> body, StoreAccess store) {
    router.get(PATH).handler(this::describe);
    router.postWithRegex(PATH + ":alter").handler(body).handler(ctx -> guard(ctx, () -> alter(ctx, store)));
    router.delete(PATH).handler(ctx -> guard(ctx, () -> delete(ctx, store)));
  }

  /** Where alterations go: ZooKeeper's store once the service has started. */
  interface StoreAccess {
    void alter(List<QuotaAlteration> alterations) throws Exception;
  }

  private static void guard(RoutingContext ctx, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      ctx.fail(e);
    }
  }

  private void describe(RoutingContext ctx) {
    guard(ctx, () -> {
      String user = ctx.request().getParam(QuotaEntity.USER);
      String client = ctx.request().getParam(QuotaEntity.CLIENT_ID);
      boolean strict = Boolean.parseBoolean(ctx.request().getParam("strict", "false"));
      JsonArray entries = new JsonArray();
      quotas.table().entries().entrySet().stream()
          .filter(e -> matches(user, e.getKey().user(), strict) && matches(client, e.getKey().clientId(), strict))
          .sorted(Comparator.comparing((Map.Entry<QuotaEntity, ?> e) -> String.valueOf(e.getKey().user()))
              .thenComparing(e -> String.valueOf(e.getKey().clientId())))
          .forEach(e -> {
            JsonObject q = new JsonObject();
            e.getValue().forEach((type, v) -> q.put(type.key(), v));
            entries.add(new JsonObject().put("entity", new JsonObject(new HashMap<>(e.getKey().asMap())))
                .put("quotas", q));
          });
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("entries", entries).encode());
    });
  }

  private static boolean matches(String filter, String part, boolean strict) {
    if (filter == null) {
      return !strict || part == null;
    }
    return part != null && (filter.equals(ANY) || filter.equals(part));
  }

  private void alter(RoutingContext ctx, StoreAccess store) {
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null) {
      throw invalid("A JSON object body is required");
    }
    Object entries = body.getValue("entries");
    if (!(entries instanceof JsonArray list) || list.isEmpty()) {
      throw invalid("'entries' must be a non-empty array of {\"entity\", \"ops\"}");
    }
    List<QuotaAlteration> alterations = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      alterations.add(alteration(list.getValue(i), "entries[" + i + "]"));
    }
    if (alterations.stream().map(QuotaAlteration::entity).distinct().count() < alterations.size()) {
      throw invalid("'entries' names an entity twice");
    }
    if (Boolean.TRUE.equals(body.getValue("validate_only"))) {
      ctx.response().setStatusCode(204).end();
      return;
    }
    write(ctx, store, alterations);
  }

  private void delete(RoutingContext ctx, StoreAccess store) {
    String user = ctx.request().getParam(QuotaEntity.USER);
    String client = ctx.request().getParam(QuotaEntity.CLIENT_ID);
    QuotaEntity entity = entity(user, client, "query");
    Map<String, Double> removals = new HashMap<>();
    for (QuotaType t : QuotaType.values()) {
      removals.put(t.key(), null);
    }
    write(ctx, store, List.of(new QuotaAlteration(entity, removals)));
  }

  private void write(RoutingContext ctx, StoreAccess store, List<QuotaAlteration> alterations) {
    blocking.apply(() -> {
      store.alter(alterations);
      return null;
    }).onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }

  private static QuotaAlteration alteration(Object value, String where) {
    if (!(value instanceof JsonObject entry)) {
      throw invalid(where + " must be an object {\"entity\", \"ops\"}");
    }
    if (!(entry.getValue("entity") instanceof JsonObject e)) {
      throw invalid(where + ".entity must be an object {\"user\"?, \"client-id\"?}");
    }
    for (String k : e.fieldNames()) {
      if (!k.equals(QuotaEntity.USER) && !k.equals(QuotaEntity.CLIENT_ID)) {
        throw invalid(where + ".entity." + k + " is not an entity type (user, client-id)");
      }
    }
    QuotaEntity entity = entity(name(e, QuotaEntity.USER, where), name(e, QuotaEntity.CLIENT_ID, where), where);
    if (!(entry.getValue("ops") instanceof JsonArray ops) || ops.isEmpty()) {
      throw invalid(where + ".ops must be a non-empty array of {\"key\", \"value\"} or {\"key\", \"remove\": true}");
    }
    Map<String, Double> changes = new HashMap<>();
    for (int i = 0; i < ops.size(); i++) {
      String at = where + ".ops[" + i + "]";
      if (!(ops.getValue(i) instanceof JsonObject op)) {
        throw invalid(at + " must be an object");
      }
      String key = op.getValue("key") instanceof String s ? s : null;
      if (key == null || QuotaType.ofKey(key).isEmpty()) {
        throw invalid(at + ".key must be one of producer_byte_rate, consumer_byte_rate, request_rate");
      }
      if (changes.containsKey(key)) {
        throw invalid(at + ".key names " + key + " twice");
      }
      changes.put(key, opValue(op, at));
    }
    return new QuotaAlteration(entity, changes);
  }

  /** The new value, or null for a removal. */
  private static Double opValue(JsonObject op, String at) {
    if (Boolean.TRUE.equals(op.getValue("remove"))) {
      if (op.containsKey("value")) {
        throw invalid(at + " gives a value and remove: true");
      }
      return null;
    }
    if (!(op.getValue("value") instanceof Number n) || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
      throw invalid(at + ".value must be a positive number (bytes or requests per second), or give \"remove\": true");
    }
    return n.doubleValue();
  }

  /** A part's name: a string, or JSON null for the default entity (as Kafka's API names it). */
  private static String name(JsonObject e, String type, String where) {
    if (!e.containsKey(type)) {
      return null;
    }
    Object v = e.getValue(type);
    if (v == null) {
      return QuotaEntity.DEFAULT;
    }
    if (!(v instanceof String s) || s.isEmpty() || s.length() > MAX_NAME_CHARS || s.equals(ANY)) {
      throw invalid(where + ".entity." + type + " must be a name of 1 to " + MAX_NAME_CHARS + " characters, \""
          + QuotaEntity.DEFAULT + "\" or null (the default), not \"*\"");
    }
    return s;
  }

  private static QuotaEntity entity(String user, String client, String where) {
    if (user == null && client == null) {
      throw invalid(where + " must name a user, a client-id or both");
    }
    return new QuotaEntity(user, client);
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_REQUEST, message);
  }
}
