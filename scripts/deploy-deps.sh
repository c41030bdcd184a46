#!/usr/bin/env bash
# What the deployment test (tests/deploy/) runs docs/deploy.md with: Debian's nginx, in front of the
# `linemod serve` processes, and `systemd-analyze` (from systemd), which checks the doc's service units. The
# test starts its own nginx master (the doc's configuration in a temporary prefix, with its own pid file and
# free loopback ports, as the current user); the packages are installed without starting their services
# (debian-packages.sh).
set -euo pipefail
source "$(dirname "$0")/debian-packages.sh"

if { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && command -v systemd-analyze >/dev/null; then
  exit 0
fi
install_without_services "nginx systemd" "The deployment test needs Debian's nginx and systemd-analyze" \
  "(the test starts its own nginx on free loopback ports; the system service can stay stopped)."
