#!/usr/bin/env bash
# What the help desk's mail tests talk to: Debian's Dovecot IMAP server, started by the tests themselves
# (tests/support/mail_servers.py); installed without starting its service (debian-packages.sh). The SMTP side
# is aiosmtpd, from the test extras.
set -euo pipefail
source "$(dirname "$0")/debian-packages.sh"

if command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
install_without_services "dovecot-imapd" "The help desk's mail tests need Debian's Dovecot IMAP server" \
  "(the tests start their own Dovecot on a free loopback port; the system service can stay stopped)."
