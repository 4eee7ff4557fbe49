package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The build and the image as files, checked without Maven or a Docker engine: the shade plugin writes the runnable
 * jar beside the plain one (shading in place made a second {@code mvn verify} re-shade its own output), and the
 * Dockerfile runs that jar through {@code bin/sluice} with a class data sharing archive made at build time, with the
 * shipped config, as a non-root user, with a health check on {@code /ready}, from a build context that leaves out
 * build output and data.
 */
class PackagingTest {
  private static final String RUNNABLE_JAR = "target/sluice.jar";

  @Test
  void theShadePluginNeverShadesItsOwnOutput() throws Exception {
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
    String finalName = text(pom.getDocumentElement(), "finalName");
    Element shade = plugin(pom, "maven-shade-plugin");
    String outputFile = text(shade, "outputFile").replace("${project.build.directory}", "target");

    assertThat(outputFile).isEqualTo(RUNNABLE_JAR);
    assertThat("target/" + finalName + ".jar").as("the plain jar shade reads").isNotEqualTo(outputFile);
  }

  @Test
  void theDockerfileRunsThePackagedJarAsANonRootUserWithAHealthCheck() throws Exception {
    List<String> lines = instructions(Files.readString(Path.of("Dockerfile")));
    int runStage = lastIndexStartingWith(lines, "FROM ");
    List<String> run = lines.subList(runStage, lines.size());

    String user = run.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElse("USER root");
    assertThat(user.substring(5).trim()).as("the run stage's user").isNotIn("root", "0", "0:0");
    assertThat(run).anyMatch(l -> l.startsWith("RUN ") && l.contains("useradd") && l.contains("sluice"));

    String health = run.stream().filter(l -> l.startsWith("HEALTHCHECK ")).findFirst().orElse("");
    assertThat(health).as("HEALTHCHECK").contains("/ready").contains("127.0.0.1/8080").doesNotContain("NONE");
    assertThat(run).contains("EXPOSE 8080");

    Matcher copy = Pattern.compile("COPY --from=build /src/(\\S+) (\\S+)").matcher(String.join("\n", run));
    assertThat(copy.find()).as("the jar is copied from the build stage").isTrue();
    assertThat(copy.group(1)).isEqualTo(RUNNABLE_JAR);
    // bin/sluice runs the jar it finds beside bin/, with the class data sharing archive made at build time (as root,
    // before USER, after the jar and the launcher are in place).
    assertThat(copy.group(2)).as("the jar lands where bin/sluice looks: beside bin/").isEqualTo("sluice.jar");
    String entrypoint = run.stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
    assertThat(entrypoint).contains("[\"bin/sluice\"").contains("\"--data-dir\"");
    int archive = indexOfMatch(run, "RUN bin/sluice-cds-archive");
    assertThat(archive).as("the image makes its CDS archive").isGreaterThan(run.indexOf("COPY bin bin"))
        .isGreaterThan(indexOfMatch(run, "COPY --from=build")).isLessThan(indexOfMatch(run, "USER "));
    assertThat(Path.of("bin", "sluice")).isExecutable();
    assertThat(Path.of("bin", "sluice-cds-archive")).isExecutable();
    assertThat(run).contains("COPY conf conf");
    assertThat(Path.of("conf", "sluice.json")).as("the config the image's working directory loads").exists();
    assertThat(lines).contains("COPY pom.xml .", "COPY src src");
    // Every resource directory outside src/ that the pom packages into the jar (the dashboard's webroot/) is in the
    // build stage too: a missing one does not fail the build, it silently leaves its files out of the image's jar.
    Matcher resource = Pattern.compile("<resource>\\s*<directory>([^<$]+)</directory>")
        .matcher(Files.readString(Path.of("pom.xml")));
    while (resource.find()) {
      String dir = resource.group(1).trim();
      if (!dir.startsWith("src/")) {
        assertThat(lines.subList(0, runStage)).as("the build stage copies resource directory " + dir)
            .contains("COPY " + dir + " " + dir);
      }
    }
  }

  @Test
  void theDockerBuildContextLeavesOutBuildOutputAndData() throws Exception {
    List<String> ignored = Files.readAllLines(Path.of(".dockerignore")).stream().map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertThat(ignored).contains("target/", "data/", ".git/");
    assertThat(ignored).as("what the Dockerfile copies stays in the context")
        .noneMatch(l -> l.startsWith("src") || l.startsWith("conf") || l.startsWith("webroot") || l.startsWith("bin")
            || l.startsWith("pom.xml") || l.startsWith("!"));
  }

  /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
  private static List<String> instructions(String dockerfile) {
    return List.of(dockerfile.replace("\\\n", " ").split("\n")).stream().map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).map(l -> l.replaceAll("\\s+", " ")).toList();
  }

  private static int indexOfMatch(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no " + prefix + " instruction");
  }

  private static int lastIndexStartingWith(List<String> lines, String prefix) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no " + prefix + "instruction");
  }

  private static Element plugin(Document pom, String artifactId) {
    NodeList plugins = pom.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element p = (Element) plugins.item(i);
      if (artifactId.equals(text(p, "artifactId"))) {
        return p;
      }
    }
    throw new AssertionError("no " + artifactId + " in pom.xml");
  }

  private static String text(Element parent, String tag) {
    NodeList found = parent.getElementsByTagName(tag);
    assertThat(found.getLength()).as("<%s> in <%s>", tag, parent.getTagName()).isPositive();
    return found.item(0).getTextContent().trim();
  }
}
