#!/usr/bin/env bash
# Install Debian's chromium for the Playwright browser tests (idempotent; the Makefile calls it).
# Playwright's own browser download (`playwright install`) is never used: these machines reach only
# the package registries, and the tests launch /usr/bin/chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Another apt may hold the lock (parallel set-up steps): wait for it rather than fail.
for _ in $(seq 1 60); do
  if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; then
    exit 0
  fi
  sleep 5
done
echo "install-chromium.sh: could not install chromium" >&2
exit 1
