#!/usr/bin/env bash
# What the page tests open pages with: Debian's Chromium (Playwright cannot download browsers here; the billing
# render job prints invoice PDFs in batches with it too) and the
# Japanese fonts the pages and the rich menu images are drawn with. What the invoice tests need: the Pango
# and HarfBuzz libraries WeasyPrint draws PDFs with, Morisawa's BIZ UDPGothic embedded in them (PDFs a
# seventh of the size they had with Noto, made in half the time), and poppler-utils' pdftotext to read those
# PDFs back. Installs them when missing (as root, with apt), otherwise stops and says what to run: these tests
# are never skipped for want of a package.
set -euo pipefail
CHROMIUM="${LINEMOD_CHROMIUM:-/usr/bin/chromium}"
FONTS=/usr/share/fonts/opentype/noto
INVOICE_FONTS=/usr/share/fonts/truetype/bizud-gothic
PACKAGES="chromium fonts-noto-cjk fonts-noto-color-emoji fonts-morisawa-bizud-gothic libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils"

has_library() {
  ldconfig -p | grep -q "$1"
}

if [ -x "$CHROMIUM" ] && [ -d "$FONTS" ] && [ -d "$INVOICE_FONTS" ] && command -v pdftotext >/dev/null \
  && has_library libpangoft2-1.0.so.0 && has_library libharfbuzz-subset.so.0; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
  exit 0
fi
echo "The page tests need Debian's Chromium at $CHROMIUM and the Noto CJK fonts; the invoice tests need" >&2
echo "WeasyPrint's Pango and HarfBuzz libraries, the BIZ UD fonts and pdftotext. Install them with:" >&2
echo "  sudo apt-get install $PACKAGES" >&2
echo "(or point LINEMOD_CHROMIUM at a Chromium binary)." >&2
exit 1
