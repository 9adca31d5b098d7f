#!/bin/sh
# Regenerates the web console's screenshots in docs/screenshots/ (shown in the README) by running
# the browser test, which saves them while it signs in, opens the overview and previews a kill.
# Needs Chromium at /usr/bin/chromium (apt-get install chromium).
set -e
cd "$(dirname "$0")/.."
MFAWATCH_SCREENSHOTS=docs/screenshots npx vitest run test/console/browser.test.ts
