#!/usr/bin/env bash
# Install Debian's chromium for the browser checks of tools/check_site.py, if it is missing.
# Idempotent and quiet: does nothing when chromium is on PATH; prints apt's log only on failure.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing; install it with: sudo apt-get install chromium" >&2
    exit 1
fi
log=$(mktemp)
echo "installing chromium (apt-get, Debian package 'chromium') ..."
if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >>"$log" 2>&1; then
    rm -f "$log"
    echo "installed: $(chromium --version 2>/dev/null)"
else
    cat "$log" >&2; rm -f "$log"
    echo "could not install chromium" >&2
    exit 1
fi
