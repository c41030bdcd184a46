#!/usr/bin/env bash
# localstripe, the stateful Stripe API emulator the payment tests and the demo run against. It is GPLv3, so it
# lives in a virtualenv of its own (its aiohttp pins never meet linemod's dependencies) and only ever runs as a
# separate process: linemod and its tests talk to it over HTTP and never import it.
# Creates the virtualenv when missing; prints the path of the `localstripe` command.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${LINEMOD_LOCALSTRIPE_VENV:-.venv-localstripe}"
SPEC="localstripe>=1.15"

if [ ! -x "$VENV/bin/localstripe" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "$SPEC"
fi
echo "$VENV/bin/localstripe"
