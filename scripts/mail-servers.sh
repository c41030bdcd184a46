#!/usr/bin/env bash
# What the help desk's mail tests talk to: Debian's Dovecot IMAP server. The tests start their own Dovecot
# (tests/support/mail_servers.py: a configuration in a temporary directory, a free loopback port) and never
# the system's; so that installing the package does not start the system service either, the install runs
# under a policy-rc.d that forbids starting services (when the machine has none of its own). The SMTP side
# is aiosmtpd, from the test extras. Installs Dovecot when missing (as root, with apt), otherwise stops and
# says what to run: these tests are never skipped for want of a package.
set -euo pipefail
PACKAGES="dovecot-imapd"

if command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ]; then
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
echo "The help desk's mail tests need Debian's Dovecot IMAP server. Install it with:" >&2
echo "  sudo apt-get install $PACKAGES" >&2
echo "(the tests start their own Dovecot on a free loopback port; the system service can stay stopped)." >&2
exit 1
