#!/usr/bin/env bash
# Install Debian's chromium (and a Chinese font, so screenshots show 汉字 rather than
# boxes) for the website widget's browser tests. Playwright drives it with
# executable_path=/usr/bin/chromium; no browser is ever downloaded by Playwright.
# Idempotent: does nothing when both are there. Never fails the caller: when it cannot
# install, it names the packages and exits 0 (the browser tests then skip, unless
# TRIPDESK_REQUIRE_BROWSER=1).
set -u

BROWSER=/usr/bin/chromium
PACKAGES="chromium fonts-wqy-microhei"
LOG=/tmp/install_browser.log

have_font() {
    command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]
}

if [ -x "$BROWSER" ] && have_font; then
    exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: $BROWSER or a Chinese font is missing; install Debian's packages" \
         "($PACKAGES) with: sudo apt-get install --no-install-recommends $PACKAGES" \
         "to run the widget's browser tests."
    exit 0
fi

echo "install_browser: installing Debian's $PACKAGES for the widget's browser tests..."
export DEBIAN_FRONTEND=noninteractive
install_packages() {
    # shellcheck disable=SC2086  # the package list is meant to split
    apt-get install -y -qq --no-install-recommends $PACKAGES >"$LOG" 2>&1
}
if ! install_packages; then
    # The package lists may be missing or stale on a fresh machine.
    apt-get update -qq >>"$LOG" 2>&1
    install_packages
fi

if [ -x "$BROWSER" ]; then
    echo "install_browser: $("$BROWSER" --version 2>/dev/null || echo chromium) ready."
else
    echo "install_browser: could not install Debian's chromium (see $LOG);" \
         "the widget's browser tests will be skipped."
fi
exit 0
