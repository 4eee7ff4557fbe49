package io.sluice.dashboard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * A headless Debian Chromium driven through Debian's chromedriver: never a browser or driver downloaded by Selenium
 * Manager (this machine cannot reach one). Missing binaries fail loudly, so a test can never pass without a real
 * browser. Collects the page's console messages and saves screenshots.
 */
public final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  public final ChromeDriver driver;
  private final Path userData;
  private final List<String> console = new ArrayList<>();

  public Browser(int width, int height, boolean dark) throws IOException {
    for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException(p + " is missing: install Debian's chromium and chromium-driver"
            + " (apt-get install -y chromium chromium-driver; .ci/run does)");
      }
    }
    userData = Files.createTempDirectory("sluice-chromium");
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + userData, "--window-size=" + width + "," + height);
    if (dark) {
      options.addArguments("--force-dark-mode", "--blink-settings=preferredColorScheme=0");
    }
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(width, height));
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
  }

  /** Console messages at WARNING or above since the last call (Chrome reports errors as SEVERE). */
  public List<String> consoleErrors() {
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
        console.add(e.getLevel() + " " + e.getMessage());
      }
    }
    List<String> out = List.copyOf(console);
    console.clear();
    return out;
  }

  public Path screenshot(String name) throws IOException {
    Path dir = Files.createDirectories(Path.of("target", "screenshots"));
    Path file = dir.resolve(name + ".png");
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    return file;
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (var files = Files.walk(userData)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
