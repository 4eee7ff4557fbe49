package io.sluice.broker;

import io.vertx.ext.web.Router;

/**
 * Something a broker serves over HTTP besides the API (metrics, the dashboard): the front end mounts its routes on
 * every HTTP server instance's router, before the API's catch-all error handling, and tells it once the front end
 * is up. The broker hands its extensions to {@link HttpFrontEnd#deploy(io.vertx.core.Vertx, BrokerService,
 * io.sluice.config.BrokerConfig, java.util.List)}.
 */
public interface HttpExtension {

  /** Mounts the extension's routes; called once per HTTP server instance, on that instance's context. */
  void mount(Router router);

  /** Called once the front end serves requests; {@code view} stays valid until it is undeployed. */
  default void frontEndStarted(FrontEndView view) {
  }
}
