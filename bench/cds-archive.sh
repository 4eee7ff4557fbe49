#!/usr/bin/env bash
# Makes a class data sharing archive (AppCDS) for a Sluice jar, as bin/sluice uses it: see bin/sluice-cds-archive (one
# start until GET /ready answers 200, then SIGTERM; the JVM writes every class it loaded as it exits).
#   bench/cds-archive.sh [sluice.jar] [archive]        then: java -XX:SharedArchiveFile=ARCHIVE -jar sluice.jar ...
# The archive holds the jar's path, size and time: a rebuilt or moved jar needs a new one (with another jar the JVM
# starts without it). Same JDK for making and using it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
ARCHIVE="$(realpath -m "${2:-${JAR%.jar}.jsa}")"
SLUICE_JAR="$JAR" SLUICE_CDS_ARCHIVE="$ARCHIVE" JAVA_OPTS="-Xmx1g" "$HERE/../bin/sluice-cds-archive"
