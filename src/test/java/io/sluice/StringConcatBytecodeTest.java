package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The broker's classes concatenate strings with StringBuilder code, not through {@code StringConcatFactory}
 * (pom.xml, {@code -XDstringConcat=inline}): each invokedynamic site's first run bootstraps method handles and spins
 * classes that no CDS archive keeps, a cost every start paid (docs/benchmarks.md, issue 16, twenty-seventh session).
 */
class StringConcatBytecodeTest {
  private static final String FACTORY = "java/lang/invoke/StringConcatFactory";

  @Test
  void noMainClassBootstrapsStringConcatenation() throws Exception {
    Path classes = Path.of(io.sluice.cli.Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Path> all;
    try (Stream<Path> walk = Files.walk(classes)) {
      all = walk.filter(p -> p.toString().endsWith(".class")).toList();
    }
    assertThat(all).as("the main classes under " + classes).hasSizeGreaterThan(500);
    assertThat(all.stream().filter(StringConcatBytecodeTest::bootstrapsConcat).map(classes::relativize))
        .as("classes compiled with invokedynamic string concatenation").isEmpty();
  }

  private static boolean bootstrapsConcat(Path classFile) {
    try { // the constant pool names the bootstrap's class in (here ASCII) modified UTF-8
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1).contains(FACTORY);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
