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
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.naming,java.xml,java.net.http,jdk.unsupported,jdk.incubator.vector,jdk.crypto.ec \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 --output target/jlink-runtime
mkdir -p target/jlink-runtime/lib/toploc
cp cuda-bridge/target/deps/*.jar target/jlink-runtime/lib/toploc/
cp cuda-bridge/target/toploc-cuda-bridge-*.jar target/jlink-runtime/lib/toploc/ 2>/dev/null || true
(cd cuda-bridge/target/test-classes && "$JAVA_HOME/bin/jar" cf "$root/target/jlink-runtime/lib/toploc/cuda-bridge-tests.jar" .)
console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*.jar' 2>/dev/null | sort | tail -n 1)
if [ -z "$console" ]; then
  ./mvnw -q -B dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4
  console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*.jar' | sort | tail -n 1)
fi
cp "$console" target/jlink-runtime/lib/toploc/
du -sh target/jlink-runtime
