#!/usr/bin/env bash
# A one-node Apache Cassandra for the test suite, run as a plain JVM from Maven Central's jars.
#
#   scripts/cassandra.sh start | stop | status | wait
#
# Settings (environment):
#   ORMADA_CASSANDRA_VERSION  cassandra-all version (default 5.0.9, the newest 5.0.x on Maven Central)
#   ORMADA_CASSANDRA_ADDRESS  loopback address to listen on (default 127.0.0.1; 127.0.0.2 etc. for a second node)
#   ORMADA_CASSANDRA_PORT     CQL port (default 9042)
#   ORMADA_CASSANDRA_DIR      data, configuration and logs (default /tmp/ormada-cassandra-<address>)
#   ORMADA_CASSANDRA_HEAP     JVM heap (default 1g)
#   ORMADA_CASSANDRA_WAIT     seconds to wait for CQL to answer (default 180)
#   ORMADA_TLS_DIR            the test certificates of scripts/tls.sh (default /tmp/ormada-tls): the node
#                             takes TLS on the CQL port beside plain connections (optional: true), with
#                             the keystore cassandra.p12 (a certificate for localhost and 127.0.0.1)
#
#   scripts/cassandra.sh tls  true when the CQL port completes a TLS handshake with the test CA and its
#                             certificate names the node's address (what cassandra-driver's verify-full
#                             checks); false for a node still serving an older keystore
#
# The jars are fetched once with Maven into ~/.cache/ormada/cassandra-<version>/lib (outside the
# repository); the data directory survives a stop, so a restarted node keeps its keyspaces.
set -euo pipefail

VERSION=${ORMADA_CASSANDRA_VERSION:-5.0.9}
ADDRESS=${ORMADA_CASSANDRA_ADDRESS:-127.0.0.1}
PORT=${ORMADA_CASSANDRA_PORT:-9042}
DIR=${ORMADA_CASSANDRA_DIR:-/tmp/ormada-cassandra-$ADDRESS}
HEAP=${ORMADA_CASSANDRA_HEAP:-1g}
WAIT=${ORMADA_CASSANDRA_WAIT:-180}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ormada/cassandra-$VERSION
PIDFILE=$DIR/cassandra.pid
HERE=$(cd "$(dirname "$0")" && pwd)
TLS_DIR=${ORMADA_TLS_DIR:-/tmp/ormada-tls}

say() { echo "cassandra: $*"; }
die() { echo "cassandra: $*" >&2; exit 1; }

can_install() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

apt_install() {  # apt_install PACKAGE...: only as root on Debian; say what to do otherwise
  if ! can_install; then
    die "missing $*; install it (Debian: apt-get install $*) or run this script as root on a Debian-like machine"
  fi
  say "installing $* from Debian's packages"
  if [ ! -f /tmp/.ormada-apt-updated ]; then apt-get update -qq && touch /tmp/.ormada-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# cql_answers: true when a CQL server answers an OPTIONS request with SUPPORTED (0x84 = v4 response).
cql_answers() {
  local reply
  reply=$(timeout 3 bash -c "exec 3<>/dev/tcp/$ADDRESS/$PORT || exit 1
    printf '\x04\x00\x00\x00\x05\x00\x00\x00\x00' >&3
    head -c 5 <&3 | od -An -tx1" 2>/dev/null) || return 1
  [[ $reply == *"84 00 00 00 06"* ]]
}

running_pid() {  # the node's pid when this script started it and it still runs
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

find_java() {  # Cassandra 5.0 runs on Java 11 or 17
  local candidate version
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" \
                   /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/java-11-openjdk-*/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    version=$("$candidate" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    if [ "$version" = 17 ] || [ "$version" = 11 ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

fetch_jars() {
  [ -f "$CACHE/lib/.complete" ] && return 0
  command -v mvn >/dev/null || apt_install maven
  say "fetching cassandra-all $VERSION and its dependencies with Maven into $CACHE"
  mkdir -p "$CACHE"
  cat > "$CACHE/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ormada.test</groupId>
  <artifactId>cassandra-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  rm -rf "$CACHE/lib"
  local fetch_started=$SECONDS
  if ! mvn -B -q -f "$CACHE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$CACHE/lib" \
       > "$CACHE/maven.log" 2>&1; then
    grep -E "ERROR" "$CACHE/maven.log" | head -5 >&2
    die "Maven could not fetch org.apache.cassandra:cassandra-all:$VERSION (full log: $CACHE/maven.log)"
  fi
  touch "$CACHE/lib/.complete"
  say "fetched $(find "$CACHE/lib" -name '*.jar' | wc -l) jars ($(du -sh "$CACHE/lib" | cut -f1)) in $((SECONDS - fetch_started)) s"
}

write_config() {
  mkdir -p "$DIR"/{conf,data,commitlog,saved_caches,hints,cdc_raw,logs}
  # One token and no bootstrap or gossip settling: a lone node needs neither, and they cost seconds.
  cat > "$DIR/conf/cassandra.yaml" <<EOF
cluster_name: ormada-test
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$ADDRESS:7000"
listen_address: $ADDRESS
rpc_address: $ADDRESS
storage_port: 7000
native_transport_port: $PORT
start_native_transport: true
auto_bootstrap: false
data_file_directories: [$DIR/data]
commitlog_directory: $DIR/commitlog
saved_caches_directory: $DIR/saved_caches
hints_directory: $DIR/hints
cdc_raw_directory: $DIR/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
# Test data: no snapshots on drop/truncate, so dropping keyspaces does not fill the disk.
auto_snapshot: false
snapshot_before_compaction: false
# What the ormada backend uses: views and SASI are off by default in 5.0; SAI and vectors are on.
materialized_views_enabled: true
sasi_indexes_enabled: true
storage_compatibility_mode: NONE
# Tests create and drop many tables; a small memtable heap keeps the node within its heap.
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
EOF
  if bash "$HERE/tls.sh" "$TLS_DIR" >/dev/null && [ -s "$TLS_DIR/cassandra.p12" ]; then
    # optional: the port takes TLS and plain connections alike, so the rest of the suite is unchanged.
    cat >> "$DIR/conf/cassandra.yaml" <<EOF
client_encryption_options:
  enabled: true
  optional: true
  keystore: $TLS_DIR/cassandra.p12
  keystore_password: ormada-tls
  store_type: PKCS12
  require_client_auth: false
EOF
  fi
  cat > "$DIR/conf/logback.xml" <<EOF
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$DIR/logs/system.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{1} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
EOF
}

# The module options Cassandra's own conf/jvm17-server.options passes on Java 17 (harmless on 11).
JPMS_OPTIONS=(
  -Djdk.attach.allowAttachSelf=true
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
)

wait_until_up() {  # wait_until_up START-EPOCH-NS
  local started=$1 pid
  for _ in $(seq 1 $((WAIT * 2))); do
    if cql_answers; then
      local ms=$(( ($(date +%s%N) - started) / 1000000 ))
      say "CQL answers on $ADDRESS:$PORT after $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s (Apache Cassandra $VERSION)"
      return 0
    fi
    pid=$(running_pid || true)
    if [ -z "$pid" ]; then
      tail -20 "$DIR/logs/stdout.log" "$DIR/logs/system.log" 2>/dev/null | grep -E "ERROR|Exception|error" >&2 || true
      die "the node exited during start-up (logs: $DIR/logs)"
    fi
    sleep 0.5
  done
  die "CQL did not answer on $ADDRESS:$PORT within ${WAIT}s (logs: $DIR/logs)"
}

start() {
  if cql_answers; then say "already up on $ADDRESS:$PORT"; return 0; fi
  local started pid java
  started=$(date +%s%N)
  if pid=$(running_pid); then say "starting (pid $pid)"; wait_until_up "$started"; return; fi
  java=$(find_java) || { apt_install openjdk-17-jre-headless; java=$(find_java) || die "no Java 11 or 17 found"; }
  fetch_jars
  write_config
  # Timed from here: the first download is reported by Maven's step, not as start-up.
  started=$(date +%s%N)
  say "starting Apache Cassandra $VERSION on $ADDRESS:$PORT (heap $HEAP, data in $DIR)"
  local classpath
  classpath=$(find "$CACHE/lib" -name '*.jar' | sort | tr '\n' ':')
  # setsid: the node outlives the shell that started it (make, a test) and gets none of its signals.
  setsid nohup "$java" -Xms"$HEAP" -Xmx"$HEAP" -Xss256k -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -XX:+PerfDisableSharedMem -ea -da:net.openhft... "${JPMS_OPTIONS[@]}" \
    -Dio.netty.tryReflectionSetAccessible=true -Djava.net.preferIPv4Stack=true \
    -Dcassandra.config="file://$DIR/conf/cassandra.yaml" -Dlogback.configurationFile="$DIR/conf/logback.xml" \
    -Dcassandra.logdir="$DIR/logs" -Dcassandra.storagedir="$DIR" -Dcassandra-foreground=yes \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=0 \
    -Dcassandra.superuser_setup_delay_ms=0 \
    -cp "$classpath" org.apache.cassandra.service.CassandraDaemon \
    > "$DIR/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  wait_until_up "$started"
}

stop() {
  local pid
  if ! pid=$(running_pid); then say "not running from $DIR"; rm -f "$PIDFILE"; return 0; fi
  say "stopping pid $pid"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; return 0; }; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

tls_answers() {
  # -verify_ip: cassandra-driver matches a node's certificate against the node's address, not a name.
  timeout 5 openssl s_client -connect "$ADDRESS:$PORT" -servername localhost -CAfile "$TLS_DIR/ca.pem" \
    -verify_ip "$ADDRESS" -verify_return_error < /dev/null > /dev/null 2>&1
}

status() {
  if cql_answers; then say "up on $ADDRESS:$PORT"; else say "down on $ADDRESS:$PORT"; return 1; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  tls) tls_answers ;;
  wait) wait_until_up "$(date +%s%N)" ;;
  *) die "usage: $0 start|stop|status|wait|tls" ;;
esac
