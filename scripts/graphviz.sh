#!/usr/bin/env bash
# Graphviz's `dot`, which draws ormada's diagrams as SVG and PNG, installed from Debian's packages
# when it is missing and this is a root shell on a Debian-like machine; elsewhere it says how.
# Without it the SVG/PNG diagram tests are skipped (with CI=true they fail).
set -uo pipefail

command -v dot >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "graphviz: installing graphviz from Debian's packages"
  if [ ! -f /tmp/.ormada-apt-updated ]; then apt-get update -qq && touch /tmp/.ormada-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null && exit 0
  echo "graphviz: installing graphviz failed" >&2
else
  echo "graphviz: dot is not installed (apt-get install graphviz, brew install graphviz); SVG/PNG diagram tests skip" >&2
fi
case "${CI:-}" in true|1|yes) exit 1 ;; esac
exit 0
