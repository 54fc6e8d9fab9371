#!/usr/bin/env bash
# Runs the ormada benchmark suite from scratch: its own venv, pinned contenders, ormada from this
# checkout, PostgreSQL and the Cassandra node started if needed, then the harness. Arguments go to
# the harness:
#   bash benchmarks/run.sh [--quick] [--only ormada,raw] [--db sqlite,postgresql,mysql,duckdb,cassandra]
#                          [--models small|wide] [--workload sql,relations,pagination,throughput,cassandra]
#                          [--loop asyncio,uvloop]
# Without --loop the async contenders of A-K and the stream run twice: on asyncio's loop, then on uvloop.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=benchmarks/.venv
log=benchmarks/.venv/install.log
# matrx-orm needs Python 3.13: its contenders run in a venv of their own, made when that interpreter exists.
venv313=benchmarks/.venv313
python313=${BENCH_PYTHON313:-/root/.pyenv/versions/3.13.0/bin/python}

# Which databases and workloads the harness will run: every one unless --db / --workload name some.
dbs="sqlite,postgresql,mysql,duckdb,cassandra"
loop_given=""
workloads="sql,relations,pagination,throughput,cassandra"
prev=""
for arg in "$@"; do
  case "$arg" in
    --db=*) dbs=${arg#--db=} ;;
    --workload=*) workloads=${arg#--workload=} ;;
    --loop|--loop=*) loop_given=1 ;;
  esac
  if [[ $prev == --db ]]; then dbs=$arg; fi
  if [[ $prev == --workload ]]; then workloads=$arg; fi
  prev=$arg
done
needs() { [[ ",$dbs," == *",$1,"* ]]; }
runs() { [[ ",$workloads," == *",$1,"* ]]; }

started=$(date +%s)
if [[ ! -x "$venv/bin/python" ]]; then
  echo "creating $venv"
  python3 -m venv "$venv"
fi
echo "installing pinned contenders and ormada (log: $log)"
if ! { "$venv/bin/python" -m pip install --disable-pip-version-check -r benchmarks/requirements.txt \
       && "$venv/bin/python" -m pip install --disable-pip-version-check -e '.[postgresql,cassandra,mysql,duckdb,uvloop,fastapi,cache]'; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install failed; see $log" >&2
  exit 1
fi
if needs postgresql; then
  if [[ -x $python313 ]]; then
    [[ -x "$venv313/bin/python" ]] || "$python313" -m venv "$venv313"
    # A failed install is not fatal: the report then shows why matrx-orm did not run.
    if ! "$venv313/bin/python" -m pip install --disable-pip-version-check -r benchmarks/requirements-matrx.txt \
         >>"$log" 2>&1; then
      echo "matrx-orm install into $venv313 failed (see $log); its cells will be reported as errors" >&2
    fi
  else
    echo "no Python 3.13 at $python313: matrx-orm is reported as not run (set BENCH_PYTHON313)" >&2
  fi
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

if needs mysql; then
  # Starts MariaDB on 127.0.0.1:3306 when it is down (a no-op when it is up).
  bash scripts/services.sh mariadb
fi

if needs cassandra && runs cassandra; then
  # Starts the one-node Cassandra on 127.0.0.1:9042 when it is down (a no-op when it is up).
  bash scripts/services.sh cassandra
fi

extra=()
[[ -n $loop_given ]] || extra=(--loop asyncio,uvloop)
exec "$venv/bin/python" -m benchmarks.harness "$@" "${extra[@]}"
