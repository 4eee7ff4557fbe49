/**
 * A broker's metrics: Micrometer meters exposed at {@code GET /metrics} in Prometheus' text format, an in-memory
 * history of the key series for the dashboard ({@code GET /metrics/history}, streamed by
 * {@code GET /metrics/history/events}), and {@link io.sluice.metrics.MetricsService}, the one place the broker
 * wires them in. The names are listed in {@code docs/metrics.md}.
 */
package io.sluice.metrics;
