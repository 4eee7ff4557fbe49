package io.sluice.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;

/** The ACL tests' shared pieces: a literal ALLOW binding as {@code POST /acls} takes it, and a refusal's shape. */
public final class TestAcls {
  private TestAcls() {
  }

  /** The body of {@code POST /acls} allowing {@code principal} {@code operation} on one resource, from any host. */
  public static JsonObject allow(String type, String name, String principal, String operation) {
    return new JsonObject().put("resource_type", type).put("resource_name", name).put("pattern_type", "LITERAL")
        .put("principal", principal).put("host", "*").put("operation", operation).put("permission", "ALLOW");
  }

  /** A 403 TOPIC_AUTHORIZATION_FAILED (29) whose body names each of {@code named}. */
  public static void assertRefused(int status, String body, String... named) {
    assertThat(status).as(body).isEqualTo(403);
    assertThat(new JsonObject(body).getInteger("error_code")).as(body).isEqualTo(29);
    assertThat(body).contains(named);
  }
}
