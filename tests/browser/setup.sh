#!/usr/bin/env bash
# Install what the browser tests need (tests/test_map_browser.py):
#   * Debian's chromium (apt-get; needs root, as on CI), unless already present;
#     without root and without chromium, it says so and the browser tests skip;
#   * node/npm (apt-get) if missing;
#   * the JS/CSS that folium maps load from CDNs, from the npm registry, into a
#     cache OUTSIDE the repository: $LOCKERPLAN_BROWSER_CACHE, by default
#     ${XDG_CACHE_HOME:-~/.cache}/lockerplan-browser (package.json + lock from here).
# Idempotent: does nothing when everything is in place.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${LOCKERPLAN_BROWSER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lockerplan-browser}"

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup.sh: $* not installed (apt-get needs root: sudo $0); the browser tests will skip" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${_apt_updated:-}" ]; then
        apt-get update -qq
        _apt_updated=1
    fi
    apt-get install -y -qq --no-install-recommends "$@"
}

if [ -n "${LOCKERPLAN_CHROMIUM:-}" ] && [ -x "${LOCKERPLAN_CHROMIUM}" ]; then
    echo "setup.sh: using chromium ${LOCKERPLAN_CHROMIUM}"
elif command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    echo "setup.sh: chromium already installed"
else
    echo "setup.sh: installing chromium (apt-get)"
    apt_install chromium fonts-dejavu-core || exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "setup.sh: installing nodejs and npm (apt-get)"
    apt_install nodejs npm || exit 0
fi

mkdir -p "$cache"
stamp="$cache/.installed-lock.json"
if ! cmp -s "$here/package-lock.json" "$stamp" || [ ! -d "$cache/node_modules" ]; then
    echo "setup.sh: installing npm assets into $cache"
    rm -f "$stamp"
    cp "$here/package.json" "$here/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    cp "$here/package-lock.json" "$stamp"
else
    echo "setup.sh: npm assets up to date in $cache"
fi
