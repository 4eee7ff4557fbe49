package io.sluice.share;

import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.RequestBodies;
import io.sluice.record.Header;
import io.sluice.share.SharePartition.AckType;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code /share-groups}: share groups (KIP-932) in the REST v2 style, beside {@code /consumers}. A member joins
 * ({@code POST /share-groups/{group}/members}), fetches records each acquired for it under a lock
 * ({@code GET .../members/{member}/records}, a long poll; each record carries its {@code delivery_count}),
 * acknowledges them ({@code POST .../acknowledgements}: ACCEPT, RELEASE, REJECT) and leaves ({@code DELETE}); an
 * operator lists, describes and deletes groups and moves an empty group's start offsets
 * ({@code POST /share-groups/{group}/offsets/reset}). Keys, values and header values are base64 (the binary
 * embedded format).
 */
final class ShareGroupsEndpoint {
  static final String PATH = "/share-groups";
  private static final String JSON = "application/json";
  static final int MAX_RECORDS_LIMIT = 10_000;
  static final long MAX_WAIT_LIMIT_MS = 60_000;

  private final Function<Void, ShareGroupsApi> groups;

  /** {@code groups} gives the service once started (null before: the routes answer 503). */
  ShareGroupsEndpoint(Function<Void, ShareGroupsApi> groups) {
    this.groups = groups;
  }

  void mount(Router router, Handler<RoutingContext> body) {
    router.get(PATH).handler(guarded(ctx -> answer(ctx, 200, service().list()
        .map(names -> new JsonObject().put("share_groups", new JsonArray(names))))));
    router.get(PATH + "/:group").handler(guarded(ctx -> answer(ctx, 200, service().describe(group(ctx))
        .map(ShareGroupsEndpoint::describe))));
    router.delete(PATH + "/:group").handler(guarded(ctx -> answer(ctx, 204, service().delete(group(ctx)))));
    router.post(PATH + "/:group/offsets/reset").handler(body).handler(guarded(this::reset));
    router.post(PATH + "/:group/members").handler(body).handler(guarded(this::join));
    router.delete(PATH + "/:group/members/:member").handler(guarded(ctx -> answer(ctx, 204,
        service().leave(group(ctx), ctx.pathParam("member")))));
    router.post(PATH + "/:group/members/:member/heartbeat").handler(guarded(ctx -> answer(ctx, 204,
        service().heartbeat(group(ctx), ctx.pathParam("member")))));
    router.get(PATH + "/:group/members/:member/records").handler(guarded(this::fetch));
    router.post(PATH + "/:group/members/:member/acknowledgements").handler(body).handler(guarded(this::acknowledge));
  }

  /** A handler whose thrown SluiceException becomes the answer (a 4xx naming what was wrong). */
  private static Handler<RoutingContext> guarded(Handler<RoutingContext> handler) {
    return ctx -> {
      try {
        handler.handle(ctx);
      } catch (RuntimeException e) {
        ctx.fail(e);
      }
    };
  }

  private ShareGroupsApi service() {
    ShareGroupsApi s = groups.apply(null);
    if (s == null) {
      throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The share groups are starting");
    }
    return s;
  }

  private static String group(RoutingContext ctx) {
    return ctx.pathParam("group");
  }

  private static void answer(RoutingContext ctx, int status, Future<?> result) {
    result.onSuccess(value -> {
      ctx.response().setStatusCode(status);
      if (status == 204) {
        ctx.response().end();
      } else {
        ctx.response().putHeader("Content-Type", JSON).end(value instanceof JsonObject o ? o.encode()
            : ((JsonArray) value).encode());
      }
    }).onFailure(ctx::fail);
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.MALFORMED_REQUEST, message);
  }

  private static JsonObject requireBody(RoutingContext ctx) {
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null) {
      throw invalid("A JSON object body is required");
    }
    return body;
  }

  private void join(RoutingContext ctx) {
    JsonObject body = requireBody(ctx);
    if (!(body.getValue("topics") instanceof JsonArray topics) || topics.isEmpty()
        || !topics.stream().allMatch(t -> t instanceof String s && !s.isEmpty())) {
      throw invalid("'topics' must be a non-empty array of topic names");
    }
    long session = longField(body, "session.timeout.ms", 0);
    Object reset = body.getValue("share.auto.offset.reset");
    if (reset != null && !"earliest".equals(reset) && !"latest".equals(reset)) {
      throw invalid("'share.auto.offset.reset' must be \"earliest\" or \"latest\", not " + reset);
    }
    List<String> names = topics.stream().map(String.class::cast).distinct().toList();
    answer(ctx, 201, service().join(group(ctx), names, session, reset == null ? null : reset.equals("earliest"))
        .map(id -> new JsonObject().put("member_id", id)
            .put("base_uri", PATH + "/" + group(ctx) + "/members/" + id)));
  }

  private static long longField(JsonObject body, String name, long dflt) {
    Object v = body.getValue(name);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 0) {
      throw invalid("'" + name + "' must be a non-negative integer, not " + v);
    }
    return n.longValue();
  }

  private static long query(RoutingContext ctx, String name, long dflt, long min, long max) {
    String v = ctx.request().getParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw invalid("Query parameter '" + name + "' must be an integer in [" + min + ", " + max + "], not '" + v
        + "'");
  }

  private void fetch(RoutingContext ctx) {
    int maxRecords = (int) query(ctx, "max_records", 500, 1, MAX_RECORDS_LIMIT);
    long timeoutMs = query(ctx, "timeout", 1_000, 0, MAX_WAIT_LIMIT_MS);
    answer(ctx, 200, service().fetch(group(ctx), ctx.pathParam("member"), maxRecords, timeoutMs)
        .map(records -> {
          JsonArray out = new JsonArray();
          records.forEach(r -> out.add(recordJson(r)));
          return out;
        }));
  }

  private static String base64(byte[] bytes) {
    return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
  }

  private static JsonObject recordJson(ShareRecord r) {
    JsonArray headers = new JsonArray();
    for (Header h : r.record().headers()) {
      headers.add(new JsonObject().put("key", h.key()).put("value", base64(h.value())));
    }
    return new JsonObject().put("topic", r.tp().topic()).put("partition", r.tp().partition())
        .put("offset", r.record().offset()).put("timestamp", r.record().timestamp())
        .put("key", base64(r.record().key())).put("value", base64(r.record().value())).put("headers", headers)
        .put("delivery_count", r.deliveryCount());
  }

  private void acknowledge(RoutingContext ctx) {
    JsonObject body = requireBody(ctx);
    if (!(body.getValue("acknowledgements") instanceof JsonArray list) || list.isEmpty()) {
      throw invalid("'acknowledgements' must be a non-empty array of {\"topic\", \"partition\", \"offset\","
          + " \"type\"}");
    }
    List<Ack> acks = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      acks.add(ack(list.getValue(i), "acknowledgements[" + i + "]"));
    }
    service().acknowledge(group(ctx), ctx.pathParam("member"), acks).onFailure(ctx::fail).onSuccess(errors -> {
      JsonArray results = new JsonArray();
      AckOutcome first = null;
      for (int i = 0; i < acks.size(); i++) {
        Ack a = acks.get(i);
        JsonObject r = new JsonObject().put("topic", a.tp().topic()).put("partition", a.tp().partition())
            .put("offset", a.offset());
        AckOutcome e = errors.get(i);
        if (e != null) {
          first = first == null ? e : first;
          r.put("error_code", e.errorCode().code()).put("message", e.message());
        }
        results.add(r);
      }
      JsonObject out = new JsonObject();
      if (first != null) {
        // Kafka answers each acknowledgement on its own; the others were applied.
        out.put("error_code", first.errorCode().code()).put("message", first.message());
      }
      ctx.response().setStatusCode(first == null ? 200 : first.errorCode().httpStatus())
          .putHeader("Content-Type", JSON).end(out.put("results", results).encode());
    });
  }

  private static Ack ack(Object value, String where) {
    if (!(value instanceof JsonObject o) || !(o.getValue("topic") instanceof String topic)
        || !(o.getValue("partition") instanceof Integer partition) || partition < 0
        || !(o.getValue("offset") instanceof Number offset) || offset.longValue() < 0
        || offset.doubleValue() != offset.longValue()) {
      throw invalid(where + " must be {\"topic\": string, \"partition\": int >= 0, \"offset\": int >= 0,"
          + " \"type\": \"ACCEPT\"|\"RELEASE\"|\"REJECT\"}");
    }
    Object type = o.getValue("type", "ACCEPT");
    try {
      return new Ack(new TopicPartition(topic, partition), offset.longValue(),
          AckType.valueOf(String.valueOf(type).toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw invalid(where + ".type must be ACCEPT, RELEASE or REJECT, not " + type);
    }
  }

  private void reset(RoutingContext ctx) {
    JsonObject body = requireBody(ctx);
    if (!(body.getValue("topic") instanceof String topic)) {
      throw invalid("'topic' must name a topic");
    }
    Object to = body.getValue("to");
    String mode;
    long offset = -1;
    if ("earliest".equals(to) || "latest".equals(to)) {
      mode = (String) to;
    } else if (to instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
      mode = "offset";
      offset = n.longValue();
    } else {
      throw invalid("'to' must be \"earliest\", \"latest\" or an offset >= 0, not " + to);
    }
    answer(ctx, 200, service().resetOffsets(group(ctx), topic, mode, offset).map(starts -> {
      JsonArray partitions = new JsonArray();
      starts.forEach(s -> partitions.add(new JsonObject().put("topic", s.tp().topic())
          .put("partition", s.tp().partition()).put("start_offset", s.startOffset())));
      return new JsonObject().put("partitions", partitions);
    }));
  }

  private static JsonObject describe(ShareGroupDescription d) {
    JsonArray members = new JsonArray();
    d.members().forEach(m -> members.add(new JsonObject().put("member_id", m.memberId())
        .put("topics", new JsonArray(m.topics())).put("session_timeout_ms", m.sessionTimeoutMs())));
    JsonArray partitions = new JsonArray();
    d.partitions().forEach(p -> {
      JsonObject states = new JsonObject();
      p.inFlight().forEach(states::put);
      partitions.add(new JsonObject().put("topic", p.tp().topic()).put("partition", p.tp().partition())
          .put("start_offset", p.startOffset()).put("end_offset", p.endOffset()).put("in_flight", states));
    });
    return new JsonObject().put("group_id", d.group()).put("state", d.state()).put("members", members)
        .put("partitions", partitions);
  }
}
