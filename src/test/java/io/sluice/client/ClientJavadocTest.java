package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 asks for Javadoc on every public type of the client: each public class, interface, record and enum
 * (nested ones too) declared under {@code io.sluice.client}, outside {@code impl}, has a doc comment, and each
 * package has a {@code package-info.java}.
 */
class ClientJavadocTest {
  private static final Path SOURCES = Path.of("src/main/java/io/sluice/client");
  private static final Pattern PUBLIC_TYPE = Pattern.compile(
      "\\s*public\\s+(?:(?:static|final|abstract|sealed|non-sealed)\\s+)*(?:class|interface|record|enum|@interface)\\s+"
          + "(\\w+).*");

  @Test
  void everyPublicTypeOfTheClientApiHasAJavadocComment() throws IOException {
    List<String> undocumented = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      files = walk.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/impl/")).toList();
    }
    assertThat(files).as("client sources found from the project directory").hasSizeGreaterThan(20);
    int types = 0;
    for (Path file : files) {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        var m = PUBLIC_TYPE.matcher(lines.get(i));
        if (!m.matches()) {
          continue;
        }
        types++;
        int j = i - 1;
        while (j >= 0 && lines.get(j).strip().startsWith("@")) {
          j--;
        }
        if (j < 0 || !lines.get(j).strip().endsWith("*/")) {
          undocumented.add(SOURCES.relativize(file) + ": " + m.group(1));
        }
      }
    }
    assertThat(types).isGreaterThan(20);
    assertThat(undocumented).as("public types without Javadoc").isEmpty();
  }

  @Test
  void everyClientPackageHasPackageDocumentation() {
    assertThat(SOURCES.resolve("package-info.java")).exists();
    assertThat(SOURCES.resolve("examples/package-info.java")).exists();
  }
}
