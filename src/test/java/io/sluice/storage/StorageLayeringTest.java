package io.sluice.storage;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class StorageLayeringTest {
  @Test
  void storageDependsOnNeitherVertxNorTheBroker() {
    noClasses().that().resideInAPackage("io.sluice.storage..")
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.sluice.broker..", "io.sluice.http..")
        .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sluice.storage"));
  }
}
