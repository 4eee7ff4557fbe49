package io.sluice.http;

import io.sluice.api.Authentication;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * {@code /users}: users' SCRAM credentials (Kafka's {@code kafka-configs --entity-type users} and Admin's
 * {@code alterUserScramCredentials}/{@code describeUserScramCredentials}). Answers list mechanisms and iterations,
 * never a password, salt or key. Who may call is the {@link Authentication}'s rule (super users while authentication
 * is on).
 */
final class UsersEndpoint {
  private static final Set<String> FIELDS = Set.of("password", "iterations");
  private static final int DEFAULT_ITERATIONS = 4096;
  private final Authentication authentication;

  UsersEndpoint(Authentication authentication) {
    this.authentication = authentication;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    if (authentication == null) {
      // A front end built without the broker's authentication (tests): the routes exist and say so.
      Handler<RoutingContext> none = ctx -> ctx.fail(ErrorResponses.error(ErrorCode.NOT_FOUND,
          "This listener does not manage users"));
      router.get("/users").handler(none);
      router.put("/users/:user/credentials/:mechanism").handler(none);
      router.delete("/users/:user/credentials/:mechanism").handler(none);
      router.delete("/users/:user").handler(none);
      return;
    }
    router.get("/users").handler(this::list);
    router.put("/users/:user/credentials/:mechanism").handler(bodyHandler).handler(this::set);
    router.delete("/users/:user/credentials/:mechanism").handler(this::deleteOne);
    router.delete("/users/:user").handler(this::deleteAll);
  }

  private void list(RoutingContext ctx) {
    authentication.describe(Callers.of(ctx)).onSuccess(users -> {
      JsonArray all = new JsonArray();
      for (Authentication.UserCredentials u : users) {
        JsonArray mechanisms = new JsonArray();
        u.mechanisms().forEach(m -> mechanisms.add(new JsonObject().put("mechanism", m.mechanism())
            .put("iterations", m.iterations())));
        all.add(new JsonObject().put("user", u.user()).put("credentials", mechanisms));
      }
      Replies.json(ctx, 200, new JsonObject().put("users", all));
    }).onFailure(ctx::fail);
  }

  private void set(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, FIELDS);
    if (!(body.getValue("password") instanceof String password)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'password' must be a string");
    }
    Object iterations = body.getValue("iterations", DEFAULT_ITERATIONS);
    if (!(iterations instanceof Integer n)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'iterations' must be a whole number");
    }
    String user = ctx.pathParam("user");
    String mechanism = ctx.pathParam("mechanism");
    authentication.upsert(Callers.of(ctx), user, mechanism, n, password)
        .onSuccess(created -> Replies.json(ctx, created ? 201 : 200, new JsonObject().put("user", user)
            .put("mechanism", mechanism).put("iterations", n)))
        .onFailure(ctx::fail);
  }

  private void deleteOne(RoutingContext ctx) {
    authentication.delete(Callers.of(ctx), ctx.pathParam("user"), ctx.pathParam("mechanism"))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void deleteAll(RoutingContext ctx) {
    authentication.delete(Callers.of(ctx), ctx.pathParam("user"), null)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }
}
