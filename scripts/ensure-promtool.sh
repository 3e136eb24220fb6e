#!/usr/bin/env bash
# promtool (Debian's `prometheus` package carries it) for `make test`: the alert rules
# of deploy/prometheus/ are checked (`promtool check rules`) and unit-tested
# (`promtool test rules`). Installs the package with apt-get when promtool is missing
# (only the package registries are reachable here), saying so. The Prometheus server
# the package also installs is not started by this script (policy-rc.d keeps Debian's
# package scripts from starting it).
set -euo pipefail

PROMTOOL="${PROMTOOL:-promtool}"
command -v "$PROMTOOL" >/dev/null && exit 0

if ! command -v apt-get >/dev/null; then
  echo "ensure-promtool: promtool missing and apt-get is not available; install Prometheus' promtool yourself (PROMTOOL=…)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "ensure-promtool: installing prometheus with apt-get (promtool, for the alert rules' tests) …"
$SUDO apt-get update -qq
# no service started by the package's scripts: a policy-rc.d that refuses every start
# (Docker images ship one; otherwise one is put in place for this install only)
added=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  added=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
[ -z "$added" ] || $SUDO rm -f /usr/sbin/policy-rc.d
echo "ensure-promtool: $(promtool --version 2>&1 | head -1)"
