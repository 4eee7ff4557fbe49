package io.sluice.streams;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A running stream task's meters, tagged with its stream and input partition: records in and out, errors and
 * restarts (counters) and input lag (a gauge). Registered when the task starts on this broker and removed when it
 * ends there, failed or stopped, so {@code GET /metrics} shows the tasks this broker runs now; a task that keeps
 * failing shows as its restarts counter growing (its error is in {@code GET /streams/{name}}).
 */
final class TaskMeters {
  private final MeterRegistry registry;
  private final List<Meter> meters;

  private TaskMeters(MeterRegistry registry, List<Meter> meters) {
    this.registry = registry;
    this.meters = meters;
  }

  static TaskMeters register(MeterRegistry registry, String stream, TopicPartition input, StreamTask task) {
    Tags tags = Tags.of("stream", stream, "topic", input.topic(), "partition", Integer.toString(input.partition()));
    // A task restarted here registers again before the old one's meters may be gone: drop those first, or the
    // registry would hand back the old meters, bound to the ended task.
    removeSiblings(registry, tags);
    return new TaskMeters(registry, List.of(
        counter(registry, "sluice.stream.task.records.in", "input records processed", tags, task, s -> s.recordsIn),
        counter(registry, "sluice.stream.task.records.out", "records written to outputs", tags, task,
            s -> s.recordsOut),
        counter(registry, "sluice.stream.task.errors", "records that failed a step", tags, task, s -> s.errors),
        counter(registry, "sluice.stream.task.restarts", "automatic restarts after a failure", tags, task,
            s -> s.restarts),
        counter(registry, "sluice.stream.task.expired", "store entries removed for their TTL", tags, task,
            s -> s.expiredEntries),
        Gauge.builder("sluice.stream.task.lag", task, t -> Math.max(0, t.state().highWatermark - t.state().offset))
            .baseUnit("records").description("input records not yet processed").tags(tags).register(registry)));
  }

  private static void removeSiblings(MeterRegistry registry, Tags tags) {
    for (String name : List.of("records.in", "records.out", "errors", "restarts", "expired", "lag")) {
      registry.find("sluice.stream.task." + name).tags(tags).meters().forEach(registry::remove);
    }
  }

  /** Meters hold their object weakly: the task, which the scheduler holds while it runs here. */
  private static Meter counter(MeterRegistry registry, String name, String description, Tags tags,
      StreamTask task, ToDoubleFunction<TaskState> value) {
    return FunctionCounter.builder(name, task, t -> value.applyAsDouble(t.state())).description(description)
        .tags(tags).register(registry);
  }

  void remove() {
    meters.forEach(registry::remove);
  }
}
