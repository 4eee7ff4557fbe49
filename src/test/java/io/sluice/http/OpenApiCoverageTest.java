package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.BrokerService;
import io.sluice.connect.ConnectService;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.config.BrokerConfig;
import io.sluice.metrics.MetricsService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keeps {@code openapi/sluice.json} and the router in step: every route documented, every documented route real. */
class OpenApiCoverageTest {
  private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
  private static final Pattern PATH_PARAM = Pattern.compile(":(\\w+)");
  private static final Pattern NAMED_GROUP = Pattern.compile("\\(\\?<(\\w+)>[^)]*\\)");
  private Vertx vertx;
  private JsonObject document;

  @BeforeEach
  void load() throws IOException {
    vertx = Vertx.vertx();
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(OpenApiEndpoint.RESOURCE)) {
      assertThat(in).as(OpenApiEndpoint.RESOURCE).isNotNull();
      document = new JsonObject(Buffer.buffer(in.readAllBytes()));
    }
  }

  @AfterEach
  void close() {
    vertx.close();
  }

  private Set<String> routerOperations() {
    BrokerService unused = new InMemoryBroker(vertx, null);
    // The metrics routes are API operations; the dashboard's static files are not (dashboard.enable=false).
    BrokerConfig config = BrokerConfig.defaults().with(Map.of(BrokerConfig.METRICS_ENABLE, "false",
        BrokerConfig.DASHBOARD_ENABLE, "false"));
    List<HttpExtension> extensions = new ArrayList<>(new MetricsService(vertx, config, new MetricsService.Sources(1,
        () -> MetadataSnapshot.EMPTY, List::of, () -> false)).httpExtensions());
    // Kafka Connect's routes exist (answering 404) even where the connect service is off.
    extensions.add(ConnectService.disabled().httpExtension());
    extensions.add(io.sluice.streams.StreamsService.disabledHttpExtension());
    extensions.add(io.sluice.schema.SchemaRegistryService.disabled().httpExtension(io.vertx.core.Future
        .succeededFuture()));
    extensions.add(io.sluice.quota.QuotaService.standaloneHttpExtension());
    extensions.add(io.sluice.share.ShareGroupsService.standaloneHttpExtension());
    extensions.add(new TransactionsEndpoint(null));
    extensions.add(new BrokerConfigsEndpoint(null));
    Router router = ApiRouter.create(vertx, new ApiRouter.Deps(unused, HttpApiConfig.defaults("127.0.0.1", 0),
        () -> true, Buffer.buffer("{}"), null, null, new SessionCounts(), extensions));
    Set<String> operations = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      String path;
      if (route.methods() == null) {
        continue; // a route of every method is a step before the operations (InstanceOrder's), not one of them
      }
      if (route.getPath() != null) {
        path = PATH_PARAM.matcher(route.getPath()).replaceAll("{$1}");
      } else if (route.isRegexPath() && route.getName() != null && (route.getName().contains("(?<")
          || route.getName().matches("[/a-z:-]+"))) { // a literal path with a colon: "/client-quotas:alter"
        path = NAMED_GROUP.matcher(route.getName()).replaceAll("{$1}"); // "/topics/{topic}/configs:alter"
      } else {
        continue;
      }
      route.methods().forEach(m -> operations.add(m.name().toLowerCase(Locale.ROOT) + " " + path));
    }
    return operations;
  }

  private Set<String> documentedOperations() {
    Set<String> operations = new TreeSet<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String key : paths.getJsonObject(path).fieldNames()) {
        if (HTTP_METHODS.contains(key)) {
          operations.add(key + " " + path);
        }
      }
    }
    return operations;
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedRouteExists() {
    Set<String> routes = routerOperations();
    assertThat(routes).hasSizeGreaterThanOrEqualTo(14);
    assertThat(documentedOperations()).containsExactlyInAnyOrderElementsOf(routes);
  }

  @Test
  void documentIsOpenApi31WithUniqueOperationsAndDeclaredPathParameters() {
    assertThat(document.getString("openapi")).isEqualTo("3.1.0");
    assertThat(document.getJsonObject("info").getString("title")).isNotBlank();
    Set<String> operationIds = new HashSet<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!HTTP_METHODS.contains(method)) {
          continue;
        }
        JsonObject operation = item.getJsonObject(method);
        assertThat(operationIds.add(operation.getString("operationId"))).as("unique operationId at %s %s",
            method, path).isTrue();
        assertThat(operation.getJsonObject("responses").fieldNames()).as("%s %s", method, path).isNotEmpty();
        Set<String> declared = new HashSet<>();
        collectPathParams(item.getJsonArray("parameters"), declared);
        collectPathParams(operation.getJsonArray("parameters"), declared);
        Matcher m = Pattern.compile("\\{(\\w+)}").matcher(path);
        while (m.find()) {
          assertThat(declared).as("path parameter %s of %s %s", m.group(1), method, path).contains(m.group(1));
        }
      }
    }
  }

  @Test
  void everyReferenceResolves() {
    checkRefs(document);
  }

  private void collectPathParams(JsonArray parameters, Set<String> into) {
    if (parameters == null) {
      return;
    }
    for (Object p : parameters) {
      JsonObject parameter = resolve((JsonObject) p);
      if ("path".equals(parameter.getString("in"))) {
        into.add(parameter.getString("name"));
      }
    }
  }

  private JsonObject resolve(JsonObject maybeRef) {
    String ref = maybeRef.getString("$ref");
    if (ref == null) {
      return maybeRef;
    }
    assertThat(ref).startsWith("#/");
    Object node = document;
    for (String part : ref.substring(2).split("/")) {
      assertThat(node).as("reference %s", ref).isInstanceOf(JsonObject.class);
      node = ((JsonObject) node).getValue(part);
    }
    assertThat(node).as("reference %s", ref).isInstanceOf(JsonObject.class);
    return (JsonObject) node;
  }

  private void checkRefs(Object node) {
    if (node instanceof JsonObject object) {
      if (object.containsKey("$ref")) {
        resolve(object);
      }
      object.forEach(e -> checkRefs(e.getValue()));
    } else if (node instanceof JsonArray array) {
      array.forEach(this::checkRefs);
    }
  }
}
