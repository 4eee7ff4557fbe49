package io.sluice.broker.acl;

import static io.sluice.api.acl.AclOperation.ALL;
import static io.sluice.api.acl.AclOperation.ALTER;
import static io.sluice.api.acl.AclOperation.ALTER_CONFIGS;
import static io.sluice.api.acl.AclOperation.CREATE;
import static io.sluice.api.acl.AclOperation.DELETE;
import static io.sluice.api.acl.AclOperation.DESCRIBE;
import static io.sluice.api.acl.AclOperation.DESCRIBE_CONFIGS;
import static io.sluice.api.acl.AclOperation.READ;
import static io.sluice.api.acl.AclOperation.WRITE;
import static io.sluice.api.acl.AclPermission.ALLOW;
import static io.sluice.api.acl.AclPermission.DENY;
import static io.sluice.api.acl.PatternType.LITERAL;
import static io.sluice.api.acl.PatternType.PREFIXED;
import static io.sluice.api.acl.ResourceType.GROUP;
import static io.sluice.api.acl.ResourceType.TOPIC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kafka's ACL decision: patterns, the wildcards, DENY over ALLOW, the implied operations, hosts. */
class AclMatcherTest {
  private static final String ALICE = "User:alice";
  private static final String BOB = "User:bob";
  private static final String HOST = "10.0.0.1";

  private static AclBinding acl(ResourceType type, String name, PatternType pattern, String principal, String host,
      AclOperation op, AclPermission permission) {
    return new AclBinding(type, name, pattern, principal, host, op, permission);
  }

  private static AclBinding allow(String topic, AclOperation op) {
    return acl(TOPIC, topic, LITERAL, ALICE, "*", op, ALLOW);
  }

  private static boolean decide(List<AclBinding> acls, String principal, String topic, AclOperation op) {
    return new AclMatcher(acls).authorize(principal, HOST, TOPIC, topic, op, false);
  }

  @Test
  void aLiteralBindingAppliesToItsNameOnly() {
    List<AclBinding> acls = List.of(allow("orders", WRITE));
    assertThat(decide(acls, ALICE, "orders", WRITE)).isTrue();
    assertThat(decide(acls, ALICE, "orders2", WRITE)).isFalse();
    assertThat(decide(acls, ALICE, "orders", READ)).isFalse();
    assertThat(decide(acls, BOB, "orders", WRITE)).isFalse();
  }

  @Test
  void aPrefixedBindingAppliesToEveryNameStartingWithIt() {
    List<AclBinding> acls = List.of(acl(TOPIC, "ord", PREFIXED, ALICE, "*", READ, ALLOW));
    assertThat(decide(acls, ALICE, "ord", READ)).isTrue();
    assertThat(decide(acls, ALICE, "orders", READ)).isTrue();
    assertThat(decide(acls, ALICE, "or", READ)).isFalse();
    assertThat(decide(acls, ALICE, "xorders", READ)).isFalse();
  }

  @Test
  void theWildcardsMatchEveryResourceAndEveryUser() {
    List<AclBinding> acls = List.of(acl(TOPIC, "*", LITERAL, "User:*", "*", READ, ALLOW));
    assertThat(decide(acls, ALICE, "anything", READ)).isTrue();
    assertThat(decide(acls, BOB, "else", READ)).isTrue();
    assertThat(new AclMatcher(acls).authorize(ALICE, HOST, GROUP, "g", READ, false)).as("other type").isFalse();
  }

  @Test
  void denyWinsOverAllowWhereverEachComesFrom() {
    List<AclBinding> acls = List.of(acl(TOPIC, "*", LITERAL, "User:*", "*", ALL, ALLOW),
        acl(TOPIC, "secret", PREFIXED, ALICE, "*", READ, DENY));
    assertThat(decide(acls, ALICE, "secrets", READ)).isFalse();
    assertThat(decide(acls, ALICE, "secrets", WRITE)).as("a DENY names its operation only").isTrue();
    assertThat(decide(acls, BOB, "secrets", READ)).isTrue();
    assertThat(decide(List.of(allow("t", READ), acl(TOPIC, "t", LITERAL, ALICE, "*", ALL, DENY)), ALICE, "t", READ))
        .as("DENY All denies every operation").isFalse();
  }

  @Test
  void readWriteDeleteAndAlterImplyDescribeAndAlterConfigsImpliesDescribeConfigs() {
    for (AclOperation op : List.of(READ, WRITE, DELETE, ALTER, ALL)) {
      assertThat(decide(List.of(allow("t", op)), ALICE, "t", DESCRIBE)).as(op.name()).isTrue();
    }
    assertThat(decide(List.of(allow("t", CREATE)), ALICE, "t", DESCRIBE)).isFalse();
    assertThat(decide(List.of(allow("t", ALTER_CONFIGS)), ALICE, "t", DESCRIBE_CONFIGS)).isTrue();
    assertThat(decide(List.of(allow("t", DESCRIBE_CONFIGS)), ALICE, "t", ALTER_CONFIGS)).isFalse();
    assertThat(decide(List.of(allow("t", DESCRIBE)), ALICE, "t", READ)).as("no implication backwards").isFalse();
    assertThat(decide(List.of(allow("t", READ), acl(TOPIC, "t", LITERAL, ALICE, "*", DESCRIBE, DENY)), ALICE, "t",
        DESCRIBE)).as("a DENY of Describe is not lifted by an implying ALLOW").isFalse();
  }

  @Test
  void aHostBindingAppliesToThatAddressOnly() {
    List<AclBinding> acls = List.of(acl(TOPIC, "t", LITERAL, ALICE, HOST, READ, ALLOW));
    assertThat(new AclMatcher(acls).authorize(ALICE, HOST, TOPIC, "t", READ, false)).isTrue();
    assertThat(new AclMatcher(acls).authorize(ALICE, "10.0.0.2", TOPIC, "t", READ, false)).isFalse();
    AclBinding v6 = acl(TOPIC, "t", LITERAL, ALICE, "::1", READ, ALLOW);
    assertThat(v6.host()).as("stored in the form the listener reports").isEqualTo("0:0:0:0:0:0:0:1");
  }

  @Test
  void noBindingForTheResourceIsDecidedByAllowEveryoneIfNoAclFound() {
    AclMatcher matcher = new AclMatcher(List.of(allow("other", READ)));
    assertThat(matcher.authorize(ALICE, HOST, TOPIC, "t", READ, false)).isFalse();
    assertThat(matcher.authorize(BOB, HOST, TOPIC, "t", READ, true)).isTrue();
    assertThat(matcher.authorize(BOB, HOST, TOPIC, "other", READ, true)).as("a binding applies: not open")
        .isFalse();
  }

  @Test
  void writeOnAnyTopicIsFoundForIdempotentProducers() {
    AclMatcher matcher = new AclMatcher(List.of(acl(TOPIC, "x", PREFIXED, ALICE, "*", WRITE, ALLOW)));
    assertThat(matcher.allowsAny(ALICE, HOST, TOPIC, WRITE)).isTrue();
    assertThat(matcher.allowsAny(BOB, HOST, TOPIC, WRITE)).isFalse();
  }

  @Test
  void badBindingsAreRefusedNamingTheField() {
    assertThatThrownBy(() -> acl(TOPIC, "t", LITERAL, "alice", "*", READ, ALLOW)).hasMessageStartingWith("principal");
    assertThatThrownBy(() -> acl(TOPIC, "t", LITERAL, ALICE, "example.com", READ, ALLOW)).hasMessageStartingWith("host");
    assertThatThrownBy(() -> acl(TOPIC, "t", PatternType.MATCH, ALICE, "*", READ, ALLOW))
        .hasMessageStartingWith("pattern_type");
    assertThatThrownBy(() -> acl(ResourceType.CLUSTER, "c", LITERAL, ALICE, "*", ALTER, ALLOW))
        .hasMessageStartingWith("resource_name");
    assertThatThrownBy(() -> acl(TOPIC, "t", LITERAL, ALICE, "*", AclOperation.ANY, ALLOW))
        .hasMessageStartingWith("operation");
    assertThatThrownBy(() -> AclOperation.parse("operation", "Rread")).hasMessageStartingWith("operation");
    assertThat(AclOperation.parse("operation", "DescribeConfigs")).isEqualTo(DESCRIBE_CONFIGS);
    assertThat(AclOperation.parse("operation", "describe_configs")).isEqualTo(DESCRIBE_CONFIGS);
  }
}
