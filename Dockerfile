# Build stage: compile and package the runnable jar (target/sluice.jar, see the shade plugin in pom.xml).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
# The dashboard's files, packaged into the jar as a resource directory (see <resources> in pom.xml).
COPY webroot webroot
RUN mvn -B -q -DskipTests package

# Run stage: a JRE, the jar, the default configuration and a data volume, as an unprivileged user.
FROM eclipse-temurin:17-jre
RUN groupadd --system sluice \
    && useradd --system --gid sluice --home-dir /opt/sluice --shell /usr/sbin/nologin sluice \
    && mkdir -p /var/lib/sluice && chown sluice:sluice /var/lib/sluice
WORKDIR /opt/sluice
COPY --from=build /src/target/sluice.jar sluice.jar
COPY conf conf
COPY bin bin
# The class data sharing archive for this jar and this image's JRE, made now by one start until ready: every
# container start maps its ~6,600 classes instead of loading them from the jar (about half the time to ready). Made
# by root and read-only to the broker; if it ever does not match, bin/sluice starts without it.
RUN bin/sluice-cds-archive && test -s sluice.jsa
USER sluice
VOLUME /var/lib/sluice
EXPOSE 8080
# /ready answers 200 once the broker serves traffic. bash's /dev/tcp, as the JRE image need not have curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# JAVA_OPTS (e.g. -Xmx1g) reaches the JVM through bin/sluice.
ENTRYPOINT ["bin/sluice", "--data-dir", "/var/lib/sluice"]
