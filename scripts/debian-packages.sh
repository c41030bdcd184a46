# Sourced by the set-up scripts of the tests that start Debian's servers themselves (mail-servers.sh,
# deploy-deps.sh): installs packages without starting their system services, or says what to run.
#
# The tests start their own server processes (a configuration in a temporary directory, free loopback ports),
# never the system's; so that installing a package does not start its service either, the install runs under a
# policy-rc.d that forbids starting services (when the machine has none of its own). As root with apt the
# packages are installed; otherwise the script stops and says what to run: the tests are never skipped for
# want of a package.

# install_without_services PACKAGES WHAT_NEEDS_THEM NOTE
install_without_services() {
  local packages="$1" needed_by="$2" note="$3"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    local policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      trap "rm -f '$policy'" EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
    return 0
  fi
  echo "$needed_by. Install them with:" >&2
  echo "  sudo apt-get install $packages" >&2
  echo "$note" >&2
  exit 1
}
