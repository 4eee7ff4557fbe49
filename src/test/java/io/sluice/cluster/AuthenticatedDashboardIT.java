package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cli.UsersCommand;
import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.config.BrokerConfig;
import io.sluice.dashboard.Browser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in Chromium against a broker with {@code authentication.method=BASIC}: once the browser holds the
 * credentials for the origin (as after answering its Basic prompt: here given in the first navigation's URL), the
 * pages load with their fetches, and the live tail's EventSource streams, with no console error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticatedDashboardIT {
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
    cluster.extraConfig.put(BrokerConfig.AUTHENTICATION_METHOD, "BASIC");
    cluster.extraConfig.put(BrokerConfig.SUPER_USERS, "User:admin");
    assertThat(UsersCommand.run(new String[] {"set", "--zookeeper", cluster.zookeeper.connectString(), "--user",
        "admin", "--password", "admin-secret"}, new PrintStream(new ByteArrayOutputStream()), System.err)).isZero();
    cluster.authorization = "Basic " + Base64.getEncoder().encodeToString("admin:admin-secret"
        .getBytes(StandardCharsets.UTF_8));
    cluster.startAll(1);
    node = cluster.node(1);
    browser = new Browser(1280, 900, false);
  }

  @AfterAll
  void closeBrowser() throws Exception {
    if (browser != null) {
      browser.screenshot("AuthenticatedDashboardIT-end");
      browser.close();
    }
  }

  @Test
  void theDashboardWorksOnceTheBrowserHasTheCredentials() throws Exception {
    assertThat(cluster.createTopic(node, "tailed", 1, 1, Map.of()).statusCode()).isEqualTo(201);
    // Without credentials the page is refused with the challenge that makes a browser ask.
    HttpResponse<byte[]> refused = cluster.http.send(HttpRequest.newBuilder(node.uri("/")).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"sluice\"");

    browser.driver.get("http://admin:admin-secret@127.0.0.1:" + node.port + "/");
    browser.driver.get("http://127.0.0.1:" + node.port + "/#/topics/tailed/messages?partition=0&tail=1");
    new WebDriverWait(browser.driver, WAIT).until(d -> !d.findElements(By.id("tail-status")).isEmpty());
    await("the browser's event stream to be open", () -> metric("sluice_sse_sessions") >= 1);
    HttpResponse<byte[]> produced = cluster.send(HttpRequest.newBuilder(node.uri("/topics/tailed/partitions/0"))
        .header("Content-Type", "application/vnd.kafka.json.v2+json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"records\":[{\"value\":\"tail-auth\"}]}")));
    assertThat(produced.statusCode()).as(body(produced)).isEqualTo(200);
    new WebDriverWait(browser.driver, WAIT).until(d -> !d.findElements(
        By.cssSelector("#messages-table tr[data-offset='0']")).isEmpty());
    assertThat(browser.driver.findElement(By.cssSelector("#messages-table tr[data-offset='0']")).getText())
        .contains("tail-auth");
    browser.driver.get("http://127.0.0.1:" + node.port + "/#/topics");
    new WebDriverWait(browser.driver, WAIT).until(d -> d.getPageSource().contains("tailed"));
    assertThat(browser.consoleErrors()).isEmpty();
  }

  private double metric(String name) {
    try {
      HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(node.uri("/metrics")).GET());
      return body(r).lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(
          l.substring(name.length() + 1))).findFirst().orElse(-1);
    } catch (Exception e) {
      return -1;
    }
  }
}
