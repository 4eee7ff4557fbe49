/**
 * What the broker offers the services it runs ({@link io.sluice.broker.spi.BrokerComponent}): depends on the
 * contract ({@code io.sluice.api}) and the configuration only, so a component's package need not depend on the
 * broker's core.
 */
package io.sluice.broker.spi;
