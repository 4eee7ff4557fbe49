# Build stage: compile and package the runnable jar.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
RUN mvn -B -q -DskipTests package

# Run stage: a JRE, the jar, the default configuration and a data volume.
FROM eclipse-temurin:17-jre
WORKDIR /opt/sluice
COPY --from=build /src/target/sluice.jar sluice.jar
COPY conf conf
VOLUME /var/lib/sluice
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "sluice.jar", "--data-dir", "/var/lib/sluice"]
