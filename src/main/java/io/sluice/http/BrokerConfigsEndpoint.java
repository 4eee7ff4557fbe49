package io.sluice.http;

import io.sluice.api.ConfigAlteration;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/**
 * A broker's dynamic configs (Kafka's DescribeConfigs and IncrementalAlterConfigs on a BROKER resource), in the
 * shape of {@code /topics/{t}/configs}; today the listeners' TLS stores ({@code listener.name.<l>.ssl.*}).
 *
 * <pre>
 * GET  /brokers/{b}/configs          {"broker_id", "configs": [{"name", "value", "is_sensitive", "source", ...}]}
 * POST /brokers/{b}/configs:alter    {"data": [{"name", "value"?, "operation"?: "SET"|"DELETE"}],
 *                                     "validate_only"?: false}   all or nothing; 200 + every config
 * </pre>
 *
 * {@code {b}} is a broker id, or {@code -} for the cluster-wide default. {@link ManagementGuard} asks Cluster
 * DescribeConfigs / AlterConfigs, as Kafka does for broker configs. A password answers {@code "value": null}.
 */
public final class BrokerConfigsEndpoint implements HttpExtension {
  static final String PATH = "/brokers/:broker/configs";
  private static final Set<String> BATCH_FIELDS = Set.of("data", "validate_only");

  private final Configs configs;

  /** What the endpoint reads and alters. */
  public interface Configs {
    /** Broker {@code broker}'s configs ({@code "-"}: the cluster-wide default). */
    Future<List<Entry>> describe(String broker);

    /** Applies {@code changes} all or none (with {@code validateOnly}, checks them only); the configs then. */
    Future<List<Entry>> alter(String broker, List<ConfigAlteration> changes, boolean validateOnly);
  }

  /** One config; {@code value} null for a password. Sources are Kafka's (DYNAMIC_BROKER_CONFIG, ...). */
  public record Entry(String name, String value, String source, boolean sensitive) {
  }

  public BrokerConfigsEndpoint(Configs configs) {
    this.configs = configs;
  }

  @Override
  public void mount(Router router, Handler<RoutingContext> body) {
    router.get(PATH).handler(ctx -> answer(ctx, configs.describe(ctx.pathParam("broker")), null));
    router.postWithRegex("/brokers/(?<broker>[^/]+)/configs:alter").handler(body).handler(this::alter);
  }

  private void alter(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, BATCH_FIELDS);
    if (!(body.getValue("validate_only", false) instanceof Boolean validate)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'validate_only' must be true or false");
    }
    List<ConfigAlteration> changes = TopicConfigsEndpoint.changes(body.getValue("data"));
    answer(ctx, configs.alter(ctx.pathParam("broker"), changes, validate), validate);
  }

  private static void answer(RoutingContext ctx, Future<List<Entry>> entries, Boolean validateOnly) {
    entries.onSuccess(list -> {
      JsonArray all = new JsonArray();
      list.forEach(e -> all.add(new JsonObject().put("name", e.name()).put("value", e.value())
          .put("is_default", e.source().equals("DEFAULT_CONFIG")).put("is_read_only", false)
          .put("is_sensitive", e.sensitive()).put("source", e.source())));
      JsonObject answer = new JsonObject().put("broker_id", ctx.pathParam("broker")).put("configs", all);
      if (validateOnly != null) {
        answer.put("validate_only", validateOnly);
      }
      Replies.json(ctx, 200, answer);
    }).onFailure(ctx::fail);
  }
}
