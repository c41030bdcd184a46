#!/usr/bin/env bash
# What the deployment test puts in front of `linemod serve`: Debian's nginx (tests/deploy/: the configuration of
# docs/deploy.md, run by a master process of the test's own, with its own prefix, pid file and free loopback
# ports, as the current user; never the system's service). So that installing the package does not start the
# system service either, the install runs under a policy-rc.d that forbids starting services (when the machine
# has none of its own). Installs nginx when missing (as root, with apt), otherwise stops and says what to run:
# the test is never skipped for want of a package.
set -euo pipefail
PACKAGES="nginx"

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  POLICY=/usr/sbin/policy-rc.d
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    trap 'rm -f "$POLICY"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
  exit 0
fi
echo "The deployment test needs Debian's nginx. Install it with:" >&2
echo "  sudo apt-get install $PACKAGES" >&2
echo "(the test starts its own nginx on free loopback ports; the system service can stay stopped)." >&2
exit 1
