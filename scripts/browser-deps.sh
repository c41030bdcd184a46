#!/usr/bin/env bash
# What the page tests open pages with: Debian's Chromium (Playwright cannot download browsers here) and the
# Japanese fonts the pages and the rich menu images are drawn with. Installs them when missing (as root, with
# apt), otherwise stops and says what to run: page tests are never skipped for want of a browser.
set -euo pipefail
CHROMIUM="${LINEMOD_CHROMIUM:-/usr/bin/chromium}"
FONTS=/usr/share/fonts/opentype/noto
PACKAGES="chromium fonts-noto-cjk fonts-noto-color-emoji"

if [ -x "$CHROMIUM" ] && [ -d "$FONTS" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
  exit 0
fi
echo "The page tests need Debian's Chromium at $CHROMIUM and the Noto CJK fonts. Install them with:" >&2
echo "  sudo apt-get install $PACKAGES" >&2
echo "(or point LINEMOD_CHROMIUM at a Chromium binary)." >&2
exit 1
