#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests marked `browser`).
# Idempotent: does nothing when a Chromium is already there. Playwright's own
# browser download is not used; the tests drive the system Chromium.
# Never fails the build: without a browser the browser tests skip with a reason.
set -u

for candidate in "${AUDIT_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser_setup: no apt-get here; install Chromium and set AUDIT_CHROMIUM to run the browser tests" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "browser_setup: not root and no passwordless sudo; cannot install chromium" >&2
    exit 0
  fi
fi

echo "browser_setup: installing Debian's chromium for the browser tests" >&2
if $SUDO apt-get update -qq >/dev/null \
  && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; then
  echo "browser_setup: chromium installed at $(command -v chromium)" >&2
else
  echo "browser_setup: could not install chromium; browser tests will be skipped" >&2
fi
exit 0
