#!/usr/bin/env bash
# The long fuzz runs: 10 minutes per target (Jazzer, coverage-guided, one JVM per target).
#   scripts/fuzz.sh                      # every target, one after the other (about an hour)
#   scripts/fuzz.sh CommitFuzzTest ...   # some targets
# Exits non-zero if any target has a finding. Jazzer writes a finding's reproducer under
# verifier-cli/src/test/resources/<package>/<Target>Inputs, where the normal suite then replays it:
# keep it there as a regression test once fixed. Logs: verifier-cli/target/fuzz-<Target>.log
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/.mvn/find-jdk.sh"
cd "$here"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(CommitFuzzTest DsseFuzzTest AttestationFuzzTest SafetensorsFuzzTest ConfigFuzzTest NpyFuzzTest TrustKeysFuzzTest)
fi
./mvnw -q -B -DskipTests install
mkdir -p verifier-cli/target
failed=()
for t in "${targets[@]}"; do
  log="verifier-cli/target/fuzz-$t.log"
  echo "== $t: 10 minutes (log: $log)"
  set +e
  ./mvnw -B -pl verifier-cli test -Dtest="$t#long10m" -Dgroups=long-fuzz -Dtoploc.excludedGroups=none \
    -Dsurefire.failIfNoSpecifiedTests=false > "$log" 2>&1
  rc=$?
  set -e
  grep -E "DONE|Done [0-9]+ runs|Java Exception|Tests run:" "$log" | tail -n 4 || true
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings or failures in: ${failed[*]}" >&2
  exit 1
fi
echo "no findings in ${#targets[@]} targets"
