package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.dashboard.Browser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium against two broker processes started from the packaged jar in a
 * directory without {@code webroot/} (so the jar's copy is served): every page loads with no console error (wide and
 * light, phone-sized and dark), a topic created through the form shows in the list, a record produced through the
 * API shows in the live tail within a second, a group's lag chart follows production, the offset reset shows
 * its dry run before it applies, and a group's deletion asks first and shows the refusal while the group has members. Screenshots go to {@code target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  static Path tmp;
  private BrokerCluster cluster;
  private Node node;
  private Browser browser;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = CLUSTERS.create(tmp);
    cluster.extraConfig.put(io.sluice.config.BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, tmp.toString());
    cluster.workingDirectory = Files.createDirectories(tmp.resolve("elsewhere"));
    cluster.extraConfig.put("metrics.history.interval.ms", 500);
    cluster.startAll(2);
    node = cluster.node(2);
    assertThat(cluster.createTopic(cluster.node(1), "orders", 2, 2, Map.of("retention.ms", "86400000")).statusCode())
        .isEqualTo(201);
    produceJson("orders", null, "{\"item\":\"book\",\"qty\":1}", 3);
    makeIdleGroup("billing", "orders");
  }

  @BeforeEach
  void openBrowser() throws Exception {
    browser = new Browser(1280, 900, false);
  }

  @AfterEach
  void closeBrowser(TestInfo test) throws Exception {
    if (browser != null) {
      browser.screenshot("DashboardIT-" + test.getTestMethod().orElseThrow().getName() + "-end");
      browser.close();
    }
  }

  @Test
  void everyPageLoadsWithNoConsoleErrorWideAndLightAndPhoneSizedAndDark() throws Exception {
    checkPages(browser, "wide");
    try (Browser phone = new Browser(390, 844, true)) {
      checkPages(phone, "phone-dark");
    }
  }

  private void checkPages(Browser b, String variant) throws Exception {
    Map<String, String> pages = new java.util.LinkedHashMap<>();
    pages.put("overview", "/#/ #brokers-table");
    pages.put("topics", "/#/topics #topics-table");
    pages.put("topic", "/#/topics/orders #partitions-table");
    pages.put("configs", "/#/topics/orders/configs #configs-table");
    pages.put("messages", "/#/topics/orders/messages #messages-table");
    pages.put("groups", "/#/groups #groups-table");
    pages.put("group", "/#/groups/billing #lags-table");
    pages.put("streams", "/#/streams #streams-table");
    pages.put("connectors", "/#/connectors #connectors-table");
    pages.put("dataflow", "/#/dataflow #dataflow-table");
    for (Map.Entry<String, String> page : pages.entrySet()) {
      String[] pathAndMarker = page.getValue().split(" ");
      b.driver.get(url(pathAndMarker[0]));
      wait(b).until(d -> !d.findElements(By.cssSelector(pathAndMarker[1])).isEmpty());
      if (page.getKey().equals("overview") || page.getKey().equals("group")) {
        wait(b).until(d -> Integer.parseInt(d.findElement(By.cssSelector("figure.chart")).getDomAttribute("data-points"))
            > 0);
      }
      b.screenshot("DashboardIT-" + variant + "-" + page.getKey());
      assertThat(b.consoleErrors()).as("console errors on %s (%s)", page.getKey(), variant).isEmpty();
    }
  }

  @Test
  void aTopicCreatedThroughTheFormShowsInTheList() throws Exception {
    browser.driver.get(url("/#/topics"));
    wait(browser).until(d -> !d.findElements(By.id("topics-table")).isEmpty());
    browser.driver.findElement(By.id("new-topic-name")).sendKeys("made-in-browser");
    WebElement partitions = browser.driver.findElement(By.id("new-topic-partitions"));
    partitions.clear();
    partitions.sendKeys("3");
    browser.driver.findElement(By.id("new-topic-configs")).sendKeys("retention.ms=3600000");
    browser.driver.findElement(By.id("create-topic-submit")).click();
    wait(browser).until(d -> d.findElements(By.cssSelector("#topics-table a")).stream()
        .anyMatch(a -> a.getText().equals("made-in-browser")));
    JsonObject created = cluster.getJson(cluster.node(1), "/topics/made-in-browser");
    assertThat(created.getJsonArray("partitions")).hasSize(3);
    assertThat(created.getJsonObject("configs").getString("retention.ms")).isEqualTo("3600000");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  /** Deleting a partition's records asks below which offset (Cancel deletes nothing), then the start offset moves. */
  @Test
  void deletingAPartitionsRecordsAsksFirstThenMovesItsStartOffset() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "purged", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 10; i++) {
      records.add(new JsonObject().put("value", "r" + i));
    }
    post("/topics/purged/partitions/0", "application/vnd.kafka.json.v2+json", new JsonObject().put("records", records));
    browser.driver.get(url("/#/topics/purged"));
    wait(browser).until(d -> !d.findElements(By.cssSelector("button.delete-records[data-partition='0']")).isEmpty());

    browser.driver.findElement(By.cssSelector("button.delete-records[data-partition='0']")).click();
    wait(browser).until(d -> d.findElement(By.cssSelector("dialog button[value=cancel]"))).click();
    assertThat(cluster.getJson(cluster.node(1), "/topics/purged/partitions/0/offsets").getLong("beginning_offset"))
        .as("cancel deletes nothing").isZero();

    browser.driver.findElement(By.cssSelector("button.delete-records[data-partition='0']")).click();
    WebElement offset = wait(browser).until(d -> d.findElement(By.id("delete-records-offset")));
    offset.clear();
    offset.sendKeys("4");
    browser.driver.findElement(By.id("confirm-delete-records")).click();
    wait(browser).until(d -> {
      try { // the Start offset column of partition 0, once the page shows the deletion
        return d.findElement(By.cssSelector("#partitions-table tbody tr td:nth-child(5)")).getText().equals("4");
      } catch (org.openqa.selenium.StaleElementReferenceException rerendered) {
        return false;
      }
    });
    assertThat(cluster.getJson(cluster.node(1), "/topics/purged/partitions/0/offsets").getLong("beginning_offset"))
        .isEqualTo(4);
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aConfigSetOnTheConfigsTabShowsAsTheTopicsOwnAndResetsToTheDefault() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "tuned", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    browser.driver.get(url("/#/topics/tuned/configs"));
    wait(browser).until(d -> !d.findElements(By.id("configs-table")).isEmpty());
    new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("config-name")))
        .selectByValue("retention.bytes");
    browser.driver.findElement(By.id("config-value")).sendKeys("123456");
    browser.driver.findElement(By.cssSelector("#set-config button[type=submit]")).click();
    wait(browser).until(d -> !d.findElements(By.cssSelector("button.reset-config[data-name='retention.bytes']"))
        .isEmpty());
    assertThat(cluster.getJson(cluster.node(1), "/topics/tuned").getJsonObject("configs").getString("retention.bytes"))
        .isEqualTo("123456");

    browser.driver.findElement(By.cssSelector("button.reset-config[data-name='retention.bytes']")).click();
    wait(browser).until(d -> d.findElements(By.cssSelector("button.reset-config")).isEmpty());
    assertThat(cluster.getJson(cluster.node(1), "/topics/tuned").getJsonObject("configs")).isEmpty();
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aRecordProducedThroughTheApiAppearsInTheLiveTailWithinASecond() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "tailed", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    browser.driver.get(url("/#/topics/tailed/messages?partition=0&tail=1"));
    wait(browser).until(d -> !d.findElements(By.id("tail-status")).isEmpty());
    // The stream is open once the broker counts it: then a record produced now must be streamed.
    await("the browser's event stream to be open", () -> metric(node, "sluice_sse_sessions") >= 1);
    for (int i = 0; i < 3; i++) {
      long offset = produceJson("tailed", 0, "\"tail-" + i + "\"", 1);
      WebElement row = wait(browser).pollingEvery(Duration.ofMillis(20)).until(d -> d.findElements(
          By.cssSelector("#messages-table tr[data-offset='" + offset + "']")).stream().findFirst().orElse(null));
      assertThat(row.getText()).contains("tail-" + i);
      long arrivedMs = Long.parseLong(row.getDomAttribute("data-arrived"));
      long producedMs = Long.parseLong(row.getDomAttribute("data-timestamp"));
      assertThat(arrivedMs - producedMs).as("ms from the broker stamping record %d to the browser showing it", offset)
          .isLessThan(1_000);
    }
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aGroupsLagChartMovesAsRecordsAreProduced() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "lagging", 1, 2, Map.of()).statusCode()).isEqualTo(201);
    produceJson("lagging", 0, "1", 2);
    makeIdleGroup("watchers", "lagging");
    browser.driver.get(url("/#/groups/watchers"));
    WebElement chart = wait(browser).until(d -> d.findElement(By.cssSelector("#lag-chart figure.chart")));
    wait(browser).until(d -> !chart.getDomAttribute("data-last").isEmpty());
    double before = Double.parseDouble(chart.getDomAttribute("data-last"));
    produceJson("lagging", 0, "2", 7);
    wait(browser).until(d -> Double.parseDouble(chart.getDomAttribute("data-last")) == before + 7);
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void theResetDialogShowsTheDryRunBeforeItApplies() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "replayed", 1, 2, Map.of()).statusCode()).isEqualTo(201);
    produceJson("replayed", 0, "\"r\"", 5);
    makeIdleGroup("replayers", "replayed");
    long committedBefore = committed("replayers", "replayed");
    assertThat(committedBefore).isPositive();
    browser.driver.get(url("/#/groups/replayers"));
    wait(browser).until(d -> !d.findElements(By.id("lags-table")).isEmpty());
    new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.id("reset-to"))).selectByValue("earliest");
    browser.driver.findElement(By.id("reset-preview")).click();
    WebElement preview = wait(browser).until(d -> d.findElement(By.id("reset-preview-table")));
    assertThat(preview.getText()).contains("replayed");
    List<WebElement> cells = preview.findElements(By.cssSelector("tbody tr td"));
    assertThat(cells.get(3).getText()).as("new offset in the dry run").isEqualTo("0");
    browser.screenshot("DashboardIT-reset-dry-run");
    assertThat(committed("replayers", "replayed")).as("nothing applied while the dry run shows").isEqualTo(committedBefore);
    browser.driver.findElement(By.id("reset-apply")).click();
    await("the reset to be applied", () -> committed("replayers", "replayed") == 0);
    wait(browser).until(d -> d.findElement(By.id("lags-table")).getText().contains("0"));
    assertThat(browser.consoleErrors()).isEmpty();
  }

  /**
   * The delete button asks first (Cancel deletes nothing); with a member in the group the broker's refusal shows and
   * the group stays; once the member is gone the group is deleted and the page goes back to the list without it.
   */
  @Test
  void deletingAGroupAsksFirstShowsTheRefusalWhileItHasMembersThenDeletesIt() throws Exception {
    makeIdleGroup("doomed", "orders");
    String member = "/consumers/doomed/instances/m";
    post("/consumers/doomed", "application/vnd.kafka.v2+json", new JsonObject().put("name", "m").put("format", "json")
        .put("auto.offset.reset", "earliest"));
    post(member + "/subscription", "application/vnd.kafka.v2+json",
        new JsonObject().put("topics", new JsonArray().add("orders")));
    await("m to join doomed", () -> groupStatus("doomed") == 200 && cluster.getJson(cluster.node(1),
        "/consumer-groups/doomed").getJsonArray("members").size() == 1 || poll(member));
    browser.driver.get(url("/#/groups/doomed"));
    wait(browser).until(d -> !d.findElements(By.id("lags-table")).isEmpty());

    browser.driver.findElement(By.id("delete-group")).click();
    wait(browser).until(d -> d.findElement(By.id("cancel-delete-group"))).click();
    assertThat(groupStatus("doomed")).as("cancel deletes nothing").isEqualTo(200);

    browser.driver.findElement(By.id("delete-group")).click();
    wait(browser).until(d -> d.findElement(By.id("confirm-delete-group"))).click();
    WebElement refusal = wait(browser).until(d -> d.findElement(By.cssSelector("#delete-group-outcome .alert")));
    assertThat(refusal.getText()).contains("nothing was deleted").contains("(error 68)");
    browser.screenshot("DashboardIT-delete-group-refused");
    assertThat(groupStatus("doomed")).as("refused: nothing deleted").isEqualTo(200);

    cluster.send(HttpRequest.newBuilder(cluster.node(1).uri(member)).DELETE());
    browser.driver.findElement(By.id("delete-group")).click();
    wait(browser).until(d -> d.findElement(By.id("confirm-delete-group"))).click();
    wait(browser).until(d -> d.getCurrentUrl().endsWith("#/groups")
        && !d.findElements(By.id("groups-table")).isEmpty());
    assertThat(browser.driver.findElement(By.id("groups-table")).getText()).doesNotContain("doomed");
    assertThat(groupStatus("doomed")).isEqualTo(404);
  }

  private int groupStatus(String group) {
    try {
      return cluster.send(HttpRequest.newBuilder(cluster.node(1).uri("/consumer-groups/" + group)).GET()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** One poll of a consumer instance (its join); false, so an await goes on until the member shows. */
  private boolean poll(String base) {
    try {
      cluster.send(HttpRequest.newBuilder(cluster.node(1).uri(base + "/records?timeout=200"))
          .header("Accept", "application/vnd.kafka.json.v2+json").GET());
    } catch (Exception e) {
      // the next round polls again
    }
    return false;
  }

  @Test
  void aFailingStreamAndAFailingConnectorAreListedOnTheOverview() throws Exception {
    // A file sink whose file lies in a directory that does not exist fails as its task starts; with no automatic
    // restart it stays FAILED.
    String file = tmp.resolve("no-such-directory").resolve("out.txt").toString();
    post("/connectors", "application/json", new JsonObject().put("name", "broken-sink").put("config", new JsonObject()
        .put("connector.class", "FileStreamSink").put("topics", "orders").put("file", file)
        .put("task.restart.max.attempts", "0")));
    // The orders' values have no field "missing": with on_error fail the stream's tasks fail on the first record.
    assertThat(cluster.createTopic(cluster.node(1), "never-written", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    post("/streams", "application/json", new JsonObject().put("name", "broken-stream")
        .put("inputs", new io.vertx.core.json.JsonArray().add("orders")).put("on_error", "fail")
        .put("steps", new io.vertx.core.json.JsonArray().add(new JsonObject().put("filter", "value.missing > 1"))
            .add(new JsonObject().put("to", "never-written"))));
    browser.driver.get(url("/#/"));
    for (String name : List.of("broken-sink", "broken-stream")) {
      WebElement failing = wait(browser).until(d -> d.findElements(By.cssSelector("#failing-table")).stream()
          .filter(t -> t.getText().contains(name)).findFirst().orElse(null));
      assertThat(failing.getText()).contains("FAILED");
    }
    browser.screenshot("DashboardIT-failing-services");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aStreamIsListedWithItsStateAndStepsDrawnAsAGraph() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "orders-copy", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    assertThat(cluster.createTopic(cluster.node(1), "orders-big", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    post("/streams", "application/json", new JsonObject("""
        {"name": "big-orders", "inputs": ["orders"], "value_format": "json",
         "steps": [{"filter": "true"}, {"map": {"value": "value"}},
                   {"branch": [{"when": "value.qty > 100", "steps": [{"to": "orders-big"}]},
                               {"steps": [{"to": "orders-copy"}]}]}]}"""));
    browser.driver.get(url("/#/streams"));
    WebElement row = wait(browser).until(d -> d.findElements(By.cssSelector("#streams-table tr")).stream()
        .filter(t -> t.getText().contains("big-orders") && t.getText().contains("RUNNING")).findFirst()
        .orElse(null));
    assertThat(row.getText()).contains("filter → map → branch [to orders-big | to orders-copy]");
    WebElement graph = wait(browser).until(d -> d.findElement(By.cssSelector("svg.stream-graph[data-stream='big-orders']")));
    List<String> nodes = graph.findElements(By.cssSelector("g.node")).stream().map(n -> n.getDomAttribute("data-label"))
        .toList();
    assertThat(nodes).containsExactly("orders", "filter", "map", "branch", "when value.qty > 100", "to", "orders-big",
        "otherwise", "to", "orders-copy");
    assertThat(graph.findElements(By.cssSelector("path.edge"))).hasSize(9);
    browser.screenshot("DashboardIT-streams");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aStreamsTopologyIsDrawnWithItsStoreInternalTopicsAndFiguresAndTheDataFlowLinksItsTopics() throws Exception {
    assertThat(cluster.createTopic(cluster.node(1), "orders-per-item", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    post("/streams", "application/json", new JsonObject("""
        {"name": "per-item", "inputs": ["orders"], "value_format": "json",
         "steps": [{"filter": "has(value.item)"}, {"group_by": "value.item"}, {"count": {"store": "items"}},
                   {"to": "orders-per-item"}]}"""));
    browser.driver.get(url("/#/streams/per-item"));
    By source = By.cssSelector("svg.topology g.node[data-name='KSTREAM-SOURCE-0000000000']");
    wait(browser).until(d -> !d.findElements(source).isEmpty());
    // Read at once in the page: it redraws every few seconds, which would leave elements found one by one stale.
    @SuppressWarnings("unchecked")
    List<Object> names = (List<Object>) browser.driver.executeScript(
        "return [...document.querySelectorAll('svg.topology g.node')].map(n => n.getAttribute('data-name'))");
    assertThat(names).contains("KSTREAM-FILTER-0000000001", "KSTREAM-KEY-SELECT-0000000002",
        "KSTREAM-SINK-0000000003", "KSTREAM-SOURCE-0000000005", "KSTREAM-AGGREGATE-0000000006", "store:items");
    assertThat(browser.driver.findElements(By.cssSelector("svg.topology g.node.internal"))).hasSize(2);
    assertThat(browser.driver.findElements(By.cssSelector("svg.topology g.node.dead-letter"))).hasSize(2);
    assertThat(browser.driver.findElements(By.cssSelector(
        "svg.topology path.edge.store[data-from='KSTREAM-AGGREGATE-0000000006'][data-to='store:items']"))).hasSize(1);
    // The orders produced at the start reach the source's figures once the tasks report them.
    wait(browser).until(d -> d.findElement(By.cssSelector("svg.topology g.node[data-name='KSTREAM-SOURCE-0000000000']"
        + " text.figures")).getText().matches("in [1-9][0-9]* · lag 0.*"));
    WebElement drawn = browser.driver.findElement(source);
    assertThat(drawn.getDomAttribute("tabindex")).isEqualTo("0");
    assertThat(drawn.getDomAttribute("aria-label")).startsWith("source KSTREAM-SOURCE-0000000000: reads orders");
    // The page redraws its figures every few seconds: a node with the keyboard focus keeps it.
    browser.driver.executeScript("arguments[0].focus()", drawn);
    wait(browser).until(org.openqa.selenium.support.ui.ExpectedConditions.stalenessOf(drawn));
    assertThat(browser.driver.executeScript("return document.activeElement.getAttribute('data-name')"))
        .isEqualTo("KSTREAM-SOURCE-0000000000");
    assertThat(browser.driver.findElement(By.id("topology-text")).getDomProperty("textContent"))
        .startsWith("Topologies:\n   Sub-topology: 0\n    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])\n");
    browser.screenshot("DashboardIT-topology");

    browser.driver.get(url("/#/dataflow"));
    By stream = By.cssSelector("svg.dataflow g.node[data-name='stream:per-item']");
    wait(browser).until(d -> !d.findElements(stream).isEmpty());
    assertThat(browser.driver.findElements(By.cssSelector(
        "svg.dataflow path.edge[data-from='topic:orders'][data-to='stream:per-item']"))).hasSize(1);
    assertThat(browser.driver.findElements(By.cssSelector(
        "svg.dataflow path.edge[data-from='stream:per-item'][data-to='topic:orders-per-item']"))).hasSize(1);
    assertThat(browser.driver.findElements(By.cssSelector("svg.dataflow g.node[data-name='topic:per-item-repartition-0']")))
        .isEmpty();
    browser.screenshot("DashboardIT-dataflow");
    wait(browser).until(d -> { // retried if a redraw made the element stale
      d.findElement(stream).sendKeys(org.openqa.selenium.Keys.ENTER);
      return true;
    });
    wait(browser).until(d -> d.getCurrentUrl().endsWith("#/streams/per-item"));
    assertThat(browser.consoleErrors()).isEmpty();
  }

  private static WebDriverWait wait(Browser b) {
    return (WebDriverWait) new WebDriverWait(b.driver, WAIT, Duration.ofMillis(100))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + node.port + path;
  }

  /** Produces {@code n} copies of a JSON value through broker 1; returns the offset of the last. */
  private long produceJson(String topic, Integer partition, String valueJson, int n) throws Exception {
    StringBuilder records = new StringBuilder();
    for (int i = 0; i < n; i++) {
      records.append(i == 0 ? "" : ",").append("{\"value\":").append(valueJson).append('}');
    }
    String path = "/topics/" + topic + (partition == null ? "" : "/partitions/" + partition);
    HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri(path))
        .header("Content-Type", "application/vnd.kafka.json.v2+json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"records\":[" + records + "]}")));
    assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
    JsonArray offsets = new JsonObject(body(r)).getJsonArray("offsets");
    return offsets.getJsonObject(offsets.size() - 1).getLong("offset");
  }

  /** A group that consumed and committed everything in {@code topic} and has no member left. */
  private void makeIdleGroup(String group, String topic) throws Exception {
    String v2 = "application/vnd.kafka.v2+json";
    post("/consumers/" + group, v2, new JsonObject().put("name", "c").put("format", "json")
        .put("auto.offset.reset", "earliest").put("auto.commit.enable", "false"));
    String base = "/consumers/" + group + "/instances/c";
    post(base + "/subscription", v2, new JsonObject().put("topics", new JsonArray().add(topic)));
    await("the group to read " + topic, () -> {
      try {
        HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri(base + "/records?timeout=500"))
            .header("Accept", "application/vnd.kafka.json.v2+json").GET());
        return r.statusCode() == 200 && !new JsonArray(body(r)).isEmpty();
      } catch (Exception e) {
        return false;
      }
    });
    post(base + "/offsets", v2, null);
    cluster.send(HttpRequest.newBuilder(cluster.node(1).uri(base)).DELETE());
  }

  private void post(String path, String type, JsonObject body) throws Exception {
    HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri(path)).header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode())));
    assertThat(r.statusCode()).as(path + ": " + body(r)).isBetween(200, 204);
  }

  /** Where the group resumes in {@code topic} (lags' next_offset: one past the last committed record). */
  private long committed(String group, String topic) {
    try {
      HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri("/consumer-groups/" + group
          + "/lags")).GET());
      for (Object o : new JsonArray(body(r))) {
        JsonObject row = (JsonObject) o;
        if (row.getString("topic").equals(topic)) {
          return row.getLong("next_offset");
        }
      }
      return -1;
    } catch (Exception e) {
      return -1;
    }
  }

  /** A gauge's value in a broker's Prometheus text. */
  private double metric(Node n, String name) {
    try {
      HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(n.uri("/metrics")).GET());
      for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith(name + " ")) {
          return Double.parseDouble(line.substring(name.length() + 1));
        }
      }
      return -1;
    } catch (Exception e) {
      return -1;
    }
  }
}
