#!/usr/bin/env bash
# Installs what the local Kafka cluster needs; safe to run again (a warm run only checks).
#  - HAProxy (Debian package) for the bootstrap address in front of the brokers;
#  - the Kafka and ZooKeeper jars, resolved by Maven from local/kafka-dist/pom.xml into the cache directory.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR="${AIRLINE_CACHE_DIR:-$HOME/.cache/airline-streaming}"
POM=local/kafka-dist/pom.xml
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")"
LIBS_DIR="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
STAMP="$LIBS_DIR/.resolved-from"
started_ms=$(( $(date +%s%N) / 1000000 ))

log() { printf '[local/install] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif need sudo; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

if ! need java; then log "java (17+) is required and not on PATH"; exit 1; fi
if ! need mvn; then log "mvn is required and not on PATH"; exit 1; fi

if need haproxy; then
  log "haproxy present: $(haproxy -v 2>/dev/null | head -1)"
else
  log "installing haproxy (apt)"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  log "installed: $(haproxy -v 2>/dev/null | head -1)"
fi

pom_sum="$(sha256sum "$POM" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$pom_sum" ]; then
  log "kafka $KAFKA_VERSION jars cached in $LIBS_DIR ($(ls "$LIBS_DIR" | wc -l) files)"
else
  log "resolving kafka $KAFKA_VERSION + zookeeper jars with maven into $LIBS_DIR"
  mkdir -p "$CACHE_DIR"
  tmp="$(mktemp -d "$CACHE_DIR/.libs.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if ! mvn -q -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$CACHE_DIR/maven-repo" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    log "maven could not resolve the jars (see above)"
    exit 1
  fi
  echo "$pom_sum" > "$tmp/libs/.resolved-from"
  rm -rf "$LIBS_DIR"
  mkdir -p "$(dirname "$LIBS_DIR")"
  mv "$tmp/libs" "$LIBS_DIR"
  log "resolved $(ls "$LIBS_DIR" | wc -l) jars"
fi

elapsed_ms=$(( $(date +%s%N) / 1000000 - started_ms ))
log "done in $((elapsed_ms / 1000)).$(( (elapsed_ms % 1000) / 100 ))s"
