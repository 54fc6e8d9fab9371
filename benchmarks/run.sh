#!/usr/bin/env bash
# Runs the ormada benchmark suite from scratch: its own venv, pinned contenders, ormada from this
# checkout, PostgreSQL started if needed, then the harness. Arguments go to the harness:
#   bash benchmarks/run.sh [--quick] [--only ormada,raw] [--db sqlite|postgresql] [--models small|wide]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=benchmarks/.venv
log=benchmarks/.venv/install.log

needs_postgres=1
for arg in "$@"; do
  case "$arg" in
    --db=sqlite) needs_postgres=0 ;;
  esac
done
if [[ " $* " == *" --db sqlite "* ]]; then needs_postgres=0; fi

started=$(date +%s)
if [[ ! -x "$venv/bin/python" ]]; then
  echo "creating $venv"
  python3 -m venv "$venv"
fi
echo "installing pinned contenders and ormada (log: $log)"
if ! { "$venv/bin/python" -m pip install --disable-pip-version-check -r benchmarks/requirements.txt \
       && "$venv/bin/python" -m pip install --disable-pip-version-check -e '.[postgresql]'; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install failed; see $log" >&2
  exit 1
fi
echo "installed in $(( $(date +%s) - started )) s"

if [[ $needs_postgres == 1 ]]; then
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

exec "$venv/bin/python" -m benchmarks.harness "$@"
