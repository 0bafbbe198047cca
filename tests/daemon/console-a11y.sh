#!/bin/bash
# The web console's accessibility (issue 19, docs/console.md) in headless
# Chromium, light and dark: every visible text meets WCAG AA contrast
# against its effective background (4.5:1, 3:1 for large text; the
# formula is in console-a11y.mjs), the keyboard reaches every control
# from the skip link with a visible focus and no trap, tabs and controls
# work with Enter and Space, and axe-core's WCAG 2 A/AA rules find
# nothing. Panels hold data: a finished sandbox sync, a paused job and a
# job in ERROR with its message.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/harness/browser.sh"
deps=$abs_top_builddir/tests/node-deps
browser_deps "$deps" playwright-core@1 axe-core@4
[ -s "$deps/node_modules/axe-core/axe.min.js" ] || wh_fail "axe-core has no axe.min.js in $deps"
orch_setup
ph tenant add acme >/dev/null
done_i=$(orch_add acme synced sandbox '{"repos":1,"prs_per_repo":6,"page_size":5}')
ph job run --in-process "$done_i" > "$WH_DIR/run.log" 2>&1 ||
	{ cat "$WH_DIR/run.log" >&2; wh_fail "the sandbox sync failed"; }
paused_i=$(orch_add acme paused sandbox '{"repos":1,"prs_per_repo":2,"page_size":5}')
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE integration_id = $paused_i" >/dev/null
err_i=$(orch_add acme broken sandbox '{"repos":1,"prs_per_repo":2,"page_size":5}')
wh_sql "UPDATE etl_jobs SET state = 'ERROR', next_run_at = now() + interval '1 day',
	last_error = 'sandbox: 401 Unauthorized (check the token)',
	last_error_class = 'auth' WHERE integration_id = $err_i" >/dev/null
j=$(orch_job "$done_i")
[ "$(orch_state "$j")" = FINISHED ] || wh_fail "the synced job is $(orch_state "$j")"

orch_daemon main "$WH_CONF"
link=$(ph token issue --tenant acme --role admin --ttl 1h --link)
shots=${PULSE_TEST_SCREENSHOTS:-$abs_top_builddir/tests/console-shots}
mkdir -p "$shots"
browser_copy "$deps" "$abs_top_srcdir/tests/daemon/console-a11y.mjs" \
	"$abs_top_srcdir/tests/daemon/console-lib.mjs"
rc=0
orch_node "$deps/console-a11y.mjs" "$ORCH_URL" "$link" "$deps/node_modules/axe-core/axe.min.js" \
	"$j" "$shots" > "$WH_DIR/ui.out" 2>&1 || rc=$?
cat "$WH_DIR/ui.out"
[ "$rc" = 0 ] && grep -q '^ok$' "$WH_DIR/ui.out" || wh_fail "the accessibility check failed"
for m in light dark; do
	[ -s "$shots/a11y-focus-$m.png" ] || wh_fail "no screenshot a11y-focus-$m.png"
done
orch_stop main
echo "console-a11y: ok"
