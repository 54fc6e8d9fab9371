#!/usr/bin/env bash
# Runs the ormada benchmark suite from scratch: its own venv, pinned contenders, ormada from this
# checkout, PostgreSQL and the Cassandra node started if needed, then the harness. Arguments go to
# the harness:
#   bash benchmarks/run.sh [--quick] [--only ormada,raw] [--db sqlite,postgresql,cassandra] [--models small|wide]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=benchmarks/.venv
log=benchmarks/.venv/install.log

# Which databases the harness will run: every one unless --db names some.
dbs="sqlite,postgresql,cassandra"
prev=""
for arg in "$@"; do
  case "$arg" in
    --db=*) dbs=${arg#--db=} ;;
  esac
  if [[ $prev == --db ]]; then dbs=$arg; fi
  prev=$arg
done
needs() { [[ ",$dbs," == *",$1,"* ]]; }

started=$(date +%s)
if [[ ! -x "$venv/bin/python" ]]; then
  echo "creating $venv"
  python3 -m venv "$venv"
fi
echo "installing pinned contenders and ormada (log: $log)"
if ! { "$venv/bin/python" -m pip install --disable-pip-version-check -r benchmarks/requirements.txt \
       && "$venv/bin/python" -m pip install --disable-pip-version-check -e '.[postgresql,cassandra]'; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install failed; see $log" >&2
  exit 1
fi
echo "installed in $(( $(date +%s) - started )) s"

if needs postgresql; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 1
    done
  fi
  pg_isready -h 127.0.0.1 -p 5432
fi

if needs cassandra; then
  # Starts the one-node Cassandra on 127.0.0.1:9042 when it is down (a no-op when it is up).
  bash scripts/services.sh cassandra
fi

exec "$venv/bin/python" -m benchmarks.harness "$@"
