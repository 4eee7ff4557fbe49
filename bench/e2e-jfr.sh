# Sourced by bench/e2e-tail.sh and bench/e2e-count.sh (after HERE is set): e2e_jfc FILE writes the JDK's default JFR
# settings with every compilation and safepoint recorded and no execution sampling (it adds wake-ups) to FILE and
# makes it the settings of jfr_opt RECORDING, the JVM option that records into RECORDING until the JVM exits.
e2e_jfc() {
  JFC="$1"
  python3 "$HERE/e2e-tail.py" --jfc "$(dirname "$(readlink -f "$(command -v java)")")/../lib/jfr/default.jfc" > "$JFC"
}
# JFR=0: no recording (to see whether JFR itself is part of what is traced); -Xshare:auto is the JVM's default anyway.
jfr_opt() { if [[ "${JFR:-1}" == 0 ]]; then echo -Xshare:auto; else echo "-XX:StartFlightRecording=filename=$1,settings=$JFC,dumponexit=true"; fi; }
