package io.sluice.api;

import java.io.Serializable;
import java.util.Map;

/** A request to create a topic; {@code partitions} or {@code replicationFactor} of -1 take broker defaults. */
public record NewTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) implements Serializable {
}
