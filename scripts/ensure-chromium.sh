#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (Playwright drives it;
# Playwright's own browser download cannot work on these machines). As root with apt-get it is
# installed; otherwise this only says what is missing, and the browser tests skip with that reason.
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: /usr/bin/chromium is missing and there is no root apt-get; browser tests will skip" >&2
  exit 0
fi
echo "ensure-chromium: installing chromium from Debian packages" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
  || echo "ensure-chromium: could not install chromium; browser tests will skip" >&2
exit 0
