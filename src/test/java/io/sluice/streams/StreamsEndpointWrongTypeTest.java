package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import org.junit.jupiter.api.Test;

/**
 * The streams routes' answer to a field of the wrong type no check named: it was 400 "The request body must be a JSON
 * object" whatever the body, and now names the JSON types that met.
 */
class StreamsEndpointWrongTypeTest {
  @Test
  void aCastFailureIsA400NamingTheJsonTypesThatMet() {
    SluiceException e = StreamsEndpoint.wrongType(null, new ClassCastException("class java.lang.Integer cannot be"
        + " cast to class java.lang.String (java.lang.Integer and java.lang.String are in module java.base of loader"
        + " 'bootstrap')"));
    assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    assertThat(e.errorCode().httpStatus()).isEqualTo(400);
    assertThat(e.getMessage()).contains("a JSON number where a JSON string is needed")
        .doesNotContain("must be a JSON object");
    assertThat(StreamsEndpoint.wrongType(null, new ClassCastException("class io.vertx.core.json.JsonArray cannot be"
        + " cast to class io.vertx.core.json.JsonObject (...)")).getMessage())
        .contains("a JSON array where a JSON object is needed");
  }
}
