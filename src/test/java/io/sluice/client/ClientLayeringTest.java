package io.sluice.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The client is what applications embed: it must not pull in the broker, storage, HTTP server or config. */
class ClientLayeringTest {
  private static final JavaClasses CLIENT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.sluice.client");

  @Test
  void clientDependsOnlyOnRecordsErrorsVertxCoreMutinyAndTheJdk() {
    classes().that().resideInAPackage("io.sluice.client..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("io.sluice.client..", "io.sluice.record..",
            "io.sluice.errors..", "io.vertx.core..", "io.smallrye.mutiny..", "java..",
            // Vert.x core's own transport: client.impl gathers answer bodies on the connection's pipeline (BodyGatherer)
            "io.netty..",
            // Vert.x core's JSON parser (a dependency of vertx-core): ProduceAnswer streams answers through it
            "com.fasterxml.jackson.core..")
        .check(CLIENT);
  }

  @Test
  void clientNeverTouchesBrokerInternals() {
    noClasses().that().resideInAPackage("io.sluice.client..")
        .should().dependOnClassesThat().resideInAnyPackage("io.sluice.broker..", "io.sluice.storage..",
            "io.sluice.http..", "io.sluice.config..", "io.sluice.cli..", "io.vertx.ext..", "org.rocksdb..",
            "org.apache.curator..", "org.apache.zookeeper..")
        .check(CLIENT);
  }

  @Test
  void publicApiExposesNoImplementationType() {
    noClasses().that().resideInAPackage("io.sluice.client").and().arePublic()
        .should().dependOnClassesThat().resideInAPackage("io.sluice.client.impl..")
        .orShould().dependOnClassesThat().haveSimpleName("VertxInternal")
        .allowEmptyShould(true)
        .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice.client").that(
                com.tngtech.archunit.base.DescribedPredicate.describe("not the factory",
                    c -> !c.getSimpleName().equals("SluiceClient"))));
  }
}
