package io.sluice.broker.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Principal;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Super users, internal calls, the cached decisions a change of the ACLs replaces, and the refusals' codes. */
class AuthorizerTest {
  private static final RequestContext ALICE = new RequestContext(new Principal("User", "alice"), "http",
      "10.0.0.1:5555", "");
  private static final RequestContext ROOT = new RequestContext(new Principal("User", "root"), "http",
      "10.0.0.1:5555", "");
  private static final AclBinding ALICE_READS = new AclBinding(ResourceType.TOPIC, "t", PatternType.LITERAL,
      "User:alice", "10.0.0.1", AclOperation.READ, AclPermission.ALLOW);

  @Test
  void superUsersAndTheBrokersOwnCallsPassWithoutAcls() {
    Authorizer authorizer = new Authorizer(Authorizer.parseSuperUsers("User:root; User:admin"), false);
    assertThat(authorizer.allowed(ROOT, ResourceType.CLUSTER, "kafka-cluster", AclOperation.ALTER)).isTrue();
    assertThat(authorizer.allowed(RequestContext.internal(1), ResourceType.TOPIC, "t", AclOperation.WRITE)).isTrue();
    assertThat(authorizer.allowed(ALICE, ResourceType.TOPIC, "t", AclOperation.READ)).isFalse();
  }

  @Test
  void aBrokerAuthenticatedOverTheListenerIsASuperUser() {
    // Connect's workers call their broker's HTTP API as Broker:<id>, which only the brokers' token authenticates
    RequestContext worker = new RequestContext(Principal.broker(2), "http", "127.0.0.1:4000", "connect");
    Authorizer authorizer = new Authorizer(Set.of(), false);
    assertThat(authorizer.allowed(worker, ResourceType.TOPIC, "sink-input", AclOperation.READ)).isTrue();
    assertThat(authorizer.allowedOnAny(worker, ResourceType.TOPIC, AclOperation.WRITE)).isTrue();
  }

  @Test
  void aChangeOfTheAclsReplacesEveryCachedDecision() {
    Authorizer authorizer = new Authorizer(Set.of(), false);
    assertThat(authorizer.allowed(ALICE, ResourceType.TOPIC, "t", AclOperation.READ)).isFalse();
    authorizer.update(new AclMatcher(List.of(ALICE_READS)));
    assertThat(authorizer.allowed(ALICE, ResourceType.TOPIC, "t", AclOperation.READ)).isTrue();
    authorizer.update(AclMatcher.EMPTY);
    assertThat(authorizer.allowed(ALICE, ResourceType.TOPIC, "t", AclOperation.READ)).isFalse();
  }

  @Test
  void theHostIsTheClientAddressWithoutItsPort() {
    Authorizer authorizer = new Authorizer(Set.of(), false);
    authorizer.update(new AclMatcher(List.of(ALICE_READS)));
    RequestContext elsewhere = new RequestContext(ALICE.principal(), "http", "10.0.0.11:5555", "");
    assertThat(authorizer.allowed(elsewhere, ResourceType.TOPIC, "t", AclOperation.READ)).isFalse();
    assertThat(Authorizer.host("0:0:0:0:0:0:0:1:8080")).isEqualTo("0:0:0:0:0:0:0:1");
  }

  @Test
  void refusalsCarryTheResourceTypesCodeAndNameTheOperationAndResource() {
    Authorizer authorizer = new Authorizer(Set.of(), false);
    assertThatThrownBy(() -> authorizer.check(ALICE, ResourceType.TOPIC, "orders", AclOperation.WRITE))
        .isInstanceOfSatisfying(SluiceException.class, e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          assertThat(e.getMessage()).isEqualTo("User:alice is not authorized to Write topic 'orders'");
        });
    assertThatThrownBy(() -> authorizer.check(ALICE, ResourceType.GROUP, "g", AclOperation.READ))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    assertThatThrownBy(() -> authorizer.check(ALICE, ResourceType.CLUSTER, "kafka-cluster", AclOperation.ALTER))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
  }

  @Test
  void aMalformedSuperUserIsRefusedAtStart() {
    assertThatThrownBy(() -> new Authorizer(Set.of("alice"), false)).hasMessageContaining("super.users");
  }
}
