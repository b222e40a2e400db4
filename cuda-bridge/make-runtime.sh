#!/usr/bin/env bash
# Makes target/jlink-runtime: a trimmed Java runtime plus the project's jars and the GPU tests, for a GPU
# machine that has no JDK. Carry it along (it stays under 64 MiB) and run cuda-bridge/device-check.sh there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/.mvn/find-jdk.sh"
cd "$root"
./mvnw -q -B -DskipTests install
./mvnw -q -B -pl cuda-bridge test-compile dependency:copy-dependencies -DincludeScope=test -DoutputDirectory=target/deps
rm -rf target/jlink-runtime
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 --output target/jlink-runtime
mkdir -p target/jlink-runtime/lib/toploc
# the GPU tests need the project's jars, Jackson and jqwik; JUnit comes as the console launcher's standalone jar below
cp cuda-bridge/target/deps/toploc-*.jar cuda-bridge/target/deps/jackson-*.jar cuda-bridge/target/deps/jqwik-*.jar target/jlink-runtime/lib/toploc/
cp cuda-bridge/target/toploc-cuda-bridge-*.jar target/jlink-runtime/lib/toploc/ 2>/dev/null || true
(cd cuda-bridge/target/test-classes && "$JAVA_HOME/bin/jar" cf "$root/target/jlink-runtime/lib/toploc/cuda-bridge-tests.jar" .)
console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*.jar' 2>/dev/null | sort | tail -n 1 || true)
if [ -z "$console" ]; then
  ./mvnw -q -B dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4
  console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*.jar' | sort | tail -n 1)
fi
cp "$console" target/jlink-runtime/lib/toploc/
du -sh target/jlink-runtime
size=$(du -sm target/jlink-runtime | cut -f1)
if [ "$size" -gt 64 ]; then
  echo "make-runtime: target/jlink-runtime is ${size} MiB, over the 64 MiB a device session can carry" >&2
  exit 1
fi
