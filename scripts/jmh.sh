#!/usr/bin/env bash
# Runs the JMH benchmarks of core (test sources). Arguments go to JMH, e.g.: scripts/jmh.sh CommitBenchmark -p threads=1
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/.mvn/find-jdk.sh"
cd "$here"
./mvnw -q -B -DskipTests install
./mvnw -q -B -pl core test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector \
  -cp "core/target/test-classes:core/target/classes:$(cat core/target/test-classpath.txt)" org.openjdk.jmh.Main "$@"
