package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class UriPathsTest {
  @Test
  void reservedCharactersCannotEndASegmentOrStartAQueryOrFragment() {
    String path = UriPaths.of("consumers", "a?b#c", "instances", "x/y");
    assertThat(path).isEqualTo("/consumers/a%3Fb%23c/instances/x%2Fy");
    URI uri = URI.create("http://127.0.0.1:8080" + path);
    assertThat(uri.getRawQuery()).isNull();
    assertThat(uri.getRawFragment()).isNull();
    assertThat(uri.getPath()).isEqualTo("/consumers/a?b#c/instances/x/y");
  }

  @Test
  void dotSegmentsAndNonAsciiAreEscaped() {
    assertThat(UriPaths.of("..", ".", "é %")).isEqualTo("/%2E%2E/%2E/%C3%A9%20%25");
    assertThat(UriPaths.of("a.b_c-d~1")).isEqualTo("/a.b_c-d~1");
  }
}
