#!/usr/bin/env bash
# Installs the system programs the tests drive for real: Chromium (report tests)
# and redis-server (shared index tests), and WordNet's database (the test that rebuilds
# the garbled-text substitution table). Idempotent; skips what is present.
# Without root or a package manager it says so and the affected tests skip.
set -u
need=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -f /usr/share/wordnet/index.noun ] || need+=(wordnet-base)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup_system: cannot install ${need[*]} (needs root and apt-get); those tests will skip" >&2
  exit 0
fi
echo "setup_system: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "setup_system: apt-get install ${need[*]} failed; those tests will skip" >&2
exit 0
