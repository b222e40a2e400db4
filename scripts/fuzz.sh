#!/usr/bin/env bash
# The long fuzz runs: 10 minutes per target (Jazzer, coverage-guided, one JVM per target).
#   scripts/fuzz.sh                      # every target, one after the other (about an hour)
#   scripts/fuzz.sh CommitFuzzTest ...   # some targets
# A finding fails the run; Jazzer writes its reproducer under verifier-cli/src/test/resources/<package>/<Target>Inputs,
# where the normal test suite then replays it (keep it there as a regression test once fixed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/.mvn/find-jdk.sh"
cd "$here"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(CommitFuzzTest DsseFuzzTest AttestationFuzzTest SafetensorsFuzzTest ConfigFuzzTest NpyFuzzTest)
fi
./mvnw -q -B -DskipTests install
for t in "${targets[@]}"; do
  echo "== $t: 10 minutes"
  ./mvnw -B -pl verifier-cli test -Dtest="$t#long10m" -Dgroups=long-fuzz -Dtoploc.excludedGroups=none \
    -Dsurefire.failIfNoSpecifiedTests=false | grep -E "Tests run|FAIL|ERROR|#[0-9]+.*DONE|Java Exception" || true
done
