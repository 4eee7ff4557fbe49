package io.sluice.quota;

import java.util.Map;

/**
 * Changes to one entity's quotas (Kafka's {@code ClientQuotaAlteration}): each config name to its new value, or to
 * null to remove it.
 */
record QuotaAlteration(QuotaEntity entity, Map<String, Double> changes) {
}
