package io.sluice;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md, checked on the compiled classes (main code only): a change that breaks it
 * fails the build. The client's own rules are in {@code io.sluice.client.ClientLayeringTest}.
 */
class LayeringTest {
  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.sluice");

  /** A listener translates a protocol into calls on the contract; it never reaches into the broker. */
  @Test
  void frontEndsDependOnTheContractOnly() {
    classes().that().resideInAPackage("io.sluice.http..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("io.sluice.http..", "io.sluice.api..",
            "io.sluice.record..", "io.sluice.errors..", "io.sluice.config..", "io.vertx..", "io.netty..",
            "com.fasterxml.jackson.core..", "com.sun.management..",
            // a client certificate's subject (TLS listener)
            "javax.net.ssl..", "javax.security.auth.x500..",
            "java..")
        .check(MAIN);
  }

  /**
   * The contract is what front ends and broker services share: nothing of the broker's may leak into it. A
   * subscription's pattern is an RE2/J one (clients' patterns run on the broker: linear time).
   */
  @Test
  void theContractDependsOnNothingOfTheBrokers() {
    classes().that().resideInAPackage("io.sluice.api..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("io.sluice.api..", "io.sluice.record..",
            "io.sluice.errors..", "io.vertx.core..", "com.google.re2j..", "java..")
        .check(MAIN);
  }

  /** Storage is a library under the broker: plain Java and RocksDB, callable from any thread, no Vert.x. */
  @Test
  void storageHasNoVertxAndKnowsNoBroker() {
    noClasses().that().resideInAPackage("io.sluice.storage..")
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.netty..", "io.sluice.broker..",
            "io.sluice.http..", "io.sluice.group..", "io.sluice.consumer..", "io.sluice.config..", "org.apache.curator..",
            "org.apache.zookeeper..")
        .check(MAIN);
  }

  /**
   * What broker services are built from: the contract and the configuration, not the broker's core; Micrometer's
   * registry interface is where they register their meters.
   */
  @Test
  void theBrokerServiceSlotDependsOnTheContractOnly() {
    classes().that().resideInAPackage("io.sluice.broker.spi..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("io.sluice.broker.spi..", "io.sluice.api..",
            "io.sluice.config..", "io.vertx.core..", "io.micrometer.core.instrument", "java..")
        .check(MAIN);
  }

  /** The client speaks HTTP only: no class of the broker side. */
  @Test
  void theClientDependsOnNothingOfTheBrokers() {
    noClasses().that().resideInAPackage("io.sluice.client..")
        .should().dependOnClassesThat().resideInAnyPackage("io.sluice.api..", "io.sluice.broker..",
            "io.sluice.storage..", "io.sluice.http..", "io.sluice.group..", "io.sluice.consumer..",
            "io.sluice.config..", "io.sluice.cli..")
        .check(MAIN);
  }
}
