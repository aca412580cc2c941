#!/bin/sh
# Install Debian's redis-server if it is missing; the Redis index tests start
# their own server on a free loopback port and stop it afterwards.
set -e
command -v redis-server >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server
else
  echo "redis-server not found and apt-get unavailable: Redis tests will be skipped" >&2
fi
