package io.sluice.dashboard;

import java.time.Duration;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard's first load in a fresh headless Chromium (empty cache): time to the overview's brokers table and to
 * the first chart sample, the navigation's load event, and bytes transferred. Not a test: run it against a running
 * broker, as docs/benchmarks.md says.
 *
 * <pre>java -cp target/test-classes:target/classes:$(cat cp.txt) io.sluice.dashboard.DashboardLoadBench URL [runs]</pre>
 */
public final class DashboardLoadBench {
  private DashboardLoadBench() {
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    for (int i = 0; i < runs; i++) {
      try (Browser b = new Browser(1280, 900, false)) {
        long start = System.nanoTime();
        b.driver.get(url + "/#/");
        new WebDriverWait(b.driver, Duration.ofSeconds(60), Duration.ofMillis(10))
            .until(d -> !d.findElements(By.id("brokers-table")).isEmpty());
        long tableMs = (System.nanoTime() - start) / 1_000_000;
        new WebDriverWait(b.driver, Duration.ofSeconds(60), Duration.ofMillis(10)).until(d -> Integer.parseInt(
            d.findElement(By.cssSelector("figure.chart")).getDomAttribute("data-points")) > 0);
        long chartMs = (System.nanoTime() - start) / 1_000_000;
        @SuppressWarnings("unchecked")
        Map<String, Object> timing = (Map<String, Object>) b.driver.executeScript(
            "const n = performance.getEntriesByType('navigation')[0];"
            + "const r = performance.getEntriesByType('resource');"
            + "return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd,"
            + " bytes: n.transferSize + r.reduce((s, e) => s + e.transferSize, 0),"
            + " body: n.decodedBodySize + r.reduce((s, e) => s + e.decodedBodySize, 0), requests: 1 + r.length};");
        System.out.printf("run %d: brokers table %d ms, first chart sample %d ms, DOMContentLoaded %.0f ms,"
            + " load %.0f ms, %s requests, %s bytes transferred (%s decoded)%n", i + 1, tableMs, chartMs,
            ((Number) timing.get("dcl")).doubleValue(), ((Number) timing.get("load")).doubleValue(),
            timing.get("requests"), timing.get("bytes"), timing.get("body"));
        System.out.println("  console: " + b.consoleErrors());
      }
    }
  }
}
