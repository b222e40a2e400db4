# Sourced by ./mvnw, ./toploc and .ci/run: sets JAVA_HOME to a JDK >= 25 or exits with a clear message.
# Order: $TOPLOC_JAVA_HOME, $JAVA_HOME, `java` on PATH, then /usr/lib/jvm/* and /opt/*.
toploc_java_major() { # $1 = a JDK home; prints its feature version or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
toploc_find_jdk() {
  local c v
  local path_java
  path_java=$(command -v java 2>/dev/null) && path_java=$(dirname "$(dirname "$(readlink -f "$path_java")")")
  for c in "${TOPLOC_JAVA_HOME:-}" "${JAVA_HOME:-}" "${path_java:-}" /usr/lib/jvm/* /opt/*jdk* /opt/java/*; do
    [ -n "$c" ] && [ -d "$c" ] || continue
    v=$(toploc_java_major "$c")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then JAVA_HOME="$c"; export JAVA_HOME; return 0; fi
  done
  echo "error: toploc needs a JDK 25 or newer (javac and java); none found in \$TOPLOC_JAVA_HOME, \$JAVA_HOME, PATH, /usr/lib/jvm or /opt." >&2
  echo "       Install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 2
}
toploc_find_jdk
