#!/usr/bin/env bash
# The long fuzz runs: 10 minutes per target (Jazzer, coverage-guided, one JVM per target).
#   scripts/fuzz.sh                      # every target, one after the other (about two hours)
#   scripts/fuzz.sh CommitFuzzTest ...   # some targets
#   TOPLOC_FUZZ_JOBS=2 scripts/fuzz.sh   # two targets at a time (each fuzzer is single-threaded)
# Exits non-zero if any target has a finding. Jazzer writes a finding's reproducer under
# verifier-cli/src/test/resources/<package>/<Target>Inputs, where the normal suite then replays it:
# keep it there as a regression test once fixed. Logs: verifier-cli/target/fuzz-<Target>.log
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/.mvn/find-jdk.sh"
cd "$here"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(CommitFuzzTest DsseFuzzTest AttestationFuzzTest SafetensorsFuzzTest ConfigFuzzTest NpyFuzzTest TrustKeysFuzzTest
    PolicyFileFuzzTest ProofsFuzzTest JsonLinesRolloutsFuzzTest ParquetRolloutsFuzzTest TokenizerFilesFuzzTest)
fi
jobs_max="${TOPLOC_FUZZ_JOBS:-1}"
case "$jobs_max" in ''|*[!0-9]*|0) echo "TOPLOC_FUZZ_JOBS must be a positive integer, not '$jobs_max'" >&2; exit 2;; esac
# Compile and install once: the runs below then find everything up to date and compile nothing, so
# concurrent runs never see a class directory being rewritten.
./mvnw -q -B -DskipTests install
mkdir -p verifier-cli/target
run_one() {
  local t=$1 log="verifier-cli/target/fuzz-$1.log" rc
  echo "== $t: 10 minutes (log: $log)"
  set +e
  ./mvnw -B -pl verifier-cli test -Dtest="$t#long10m" -Dgroups=long-fuzz -Dtoploc.excludedGroups=none -Dtoploc.jazzer.fuzz=1 \
    -Dsurefire.failIfNoSpecifiedTests=false > "$log" 2>&1
  rc=$?
  set -e
  echo "-- $t (exit $rc):"
  grep -aE "DONE|Done [0-9]+ runs|Java Exception|Tests run:" "$log" | tail -n 4 || true
  if [ "$rc" -eq 0 ] && ! grep -aqE "Tests run: [1-9]" "$log"; then
    echo "   no test ran: is $t a fuzz target with a long10m method?" >&2
    rc=1
  fi
  return "$rc"
}
failed=()
pids=()
names=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
    sleep 5
  done
  run_one "$t" &
  pids+=("$!")
  names+=("$t")
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    failed+=("${names[$i]}")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings or failures in: ${failed[*]}" >&2
  exit 1
fi
echo "no findings in ${#targets[@]} targets"
