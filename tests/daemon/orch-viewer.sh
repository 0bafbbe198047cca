#!/bin/bash
# The viewer page in headless Chromium against a running daemon: a user
# starts a paused sandbox sync with the page's button, the bar moves
# through intermediate values to 100% and the job shows FINISHED, and the
# page shows no error. Installs Debian's chromium and the npm
# package playwright-core (into the build tree, never committed) if
# missing; set PULSE_TEST_CHROMIUM to use another Chromium binary.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/harness/browser.sh"
deps=$abs_top_builddir/tests/node-deps
browser_deps "$deps" playwright-core@1
orch_setup
ph tenant add acme >/dev/null
i=$(orch_add acme viewer sandbox '{"repos":3,"prs_per_repo":40,"page_size":4,"page_delay_ms":120}')
j=$(orch_job "$i")
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id = $j" >/dev/null
orch_daemon main "$WH_CONF"
shot=${PULSE_TEST_SCREENSHOT:-$WH_DIR/viewer.png}
# ES modules resolve packages next to the script: run a copy in $deps.
cp "$abs_top_srcdir/tests/daemon/orch-viewer.mjs" "$deps/"
orch_node "$deps/orch-viewer.mjs" "$ORCH_URL" "$(orch_token acme user)" "$j" "$shot" > "$WH_DIR/viewer.out" 2>&1 || true
cat "$WH_DIR/viewer.out"
grep -q '^ok$' "$WH_DIR/viewer.out" || wh_fail "the browser check failed"
# the bar was seen between 0 and 100, i.e. it moved live
grep -Eq '^percent ([1-9]|[1-9][0-9])\.[0-9] state RUNNING' "$WH_DIR/viewer.out" ||
	wh_fail "the bar never showed an intermediate value"
[ "$(orch_state "$j")" = FINISHED ] || wh_fail "job $j is $(orch_state "$j")"
[ -s "$shot" ] || wh_fail "no screenshot"
orch_stop main
echo "orch-viewer: ok (screenshot $shot)"
