#!/usr/bin/env bash
# What the deployment test (tests/deploy/) runs docs/deploy.md with: Debian's nginx, in front of the
# `linemod serve` processes, and `systemd-analyze` (from systemd), which checks the doc's service units. The
# test starts its own nginx master (the doc's configuration in a temporary prefix, with its own pid file and
# free loopback ports, as the current user), never the system's service; so that installing the package does
# not start that service either, the install runs under a policy-rc.d that forbids starting services (when
# the machine has none of its own). Installs what is missing (as root, with apt), otherwise stops and says
# what to run: the test is never skipped for want of a package.
set -euo pipefail
PACKAGES="nginx systemd"

if { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && command -v systemd-analyze >/dev/null; then
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
echo "The deployment test needs Debian's nginx and systemd-analyze. Install them with:" >&2
echo "  sudo apt-get install $PACKAGES" >&2
echo "(the test starts its own nginx on free loopback ports; the system service can stay stopped)." >&2
exit 1
