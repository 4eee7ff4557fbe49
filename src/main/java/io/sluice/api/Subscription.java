package io.sluice.api;

import com.google.re2j.Pattern;
import java.io.Serializable;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a member subscribes to: a set of topic names, or a regular expression matched against whole names (RE2/J,
 * compiled through {@link TopicPattern}: matched on the coordinator's event loop against every topic at each
 * rebalance, so in linear time).
 */
public record Subscription(Set<String> topics, Pattern pattern) implements Serializable {

  public Subscription {
    topics = topics == null ? null : Set.copyOf(new TreeSet<>(topics));
    if ((topics == null) == (pattern == null)) {
      throw new IllegalArgumentException("exactly one of topics and pattern");
    }
  }

  public static Subscription ofTopics(Collection<String> topics) {
    return new Subscription(new TreeSet<>(topics), null);
  }

  /** A pattern subscription; {@link IllegalArgumentException} naming what is wrong with {@code pattern} otherwise. */
  public static Subscription ofPattern(String pattern) {
    return new Subscription(null, TopicPattern.compile(pattern));
  }

  /** The subscribed topics among {@code existing} (a pattern never matches internal topics, as in Kafka). */
  public Set<String> resolve(List<String> existing) {
    if (topics != null) {
      return topics;
    }
    Set<String> matched = new TreeSet<>();
    for (String t : existing) {
      if (!t.startsWith("__") && pattern.matcher(t).matches()) {
        matched.add(t);
      }
    }
    return matched;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Subscription s && java.util.Objects.equals(topics, s.topics)
        && java.util.Objects.equals(patternText(), s.patternText());
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(topics, patternText());
  }

  public String patternText() {
    return pattern == null ? null : pattern.pattern();
  }
}
