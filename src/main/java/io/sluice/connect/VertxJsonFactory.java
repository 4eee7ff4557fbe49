package io.sluice.connect;

import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.spi.JsonFactory;
import io.vertx.core.spi.json.JsonCodec;

/**
 * Keeps Vert.x on its plain Jackson codec. Kafka's {@code connect-json} brings {@code jackson-databind}, and with it on
 * the class path Vert.x would switch every {@code JsonObject} encode and decode to its {@code DatabindCodec}: an
 * {@code ObjectMapper} built on first use, on whichever event loop first touches JSON (seen blocking one for over
 * 0.5 s on a loaded machine), with other number and POJO handling than the broker was written and tested against.
 * Registered in {@code META-INF/services/io.vertx.core.spi.JsonFactory}; Vert.x takes the factory of lowest order.
 */
public final class VertxJsonFactory implements JsonFactory {
  private static final JsonCodec CODEC = new JacksonCodec();

  @Override
  public int order() {
    return 0;
  }

  @Override
  public JsonCodec codec() {
    return CODEC;
  }
}
