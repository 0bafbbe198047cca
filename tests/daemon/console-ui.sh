#!/bin/bash
# The web console (issue 19, docs/console.md) in headless Chromium against
# a running daemon: password sign-in and a `token issue --link` sign-in;
# the DORA cards equal `pulse-host dora --json` and the trend charts are
# drawn; the tenant's branding; a view-role token sees no controls and its
# forged requests get 403; every panel in light and dark mode (screenshots
# kept in the build tree); a 390-px viewport has no horizontal scroll; no
# console errors; no request leaves loopback. The job control path is
# tests/daemon/orch-viewer.sh. The add form is drawn from the plugin's
# declared fields (GET /plugins), and a click on "Not helpful" under an
# answer is recorded (`ask feedback list`). Also the CLI side: `dora
# --weekly`, `tenant set` refusing a bad colour, `token issue --link`.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/harness/browser.sh"
deps=$abs_top_builddir/tests/node-deps
browser_deps "$deps" playwright-core@1
orch_setup
cat >> "$WH_CONF" <<'CONF'
auth = { argon2_iterations = 1; argon2_memory_kib = 8192; min_password_length = 12; };
CONF
ph tenant add acme >/dev/null
PW='quartz-lantern-meadow-7'
printf '%s\n' "$PW" | ph user add --tenant acme --email ada@example.com --role admin \
	--password-stdin >/dev/null
i=$(orch_add acme console sandbox '{"repos":1,"prs_per_repo":5,"page_size":5}')
j=$(orch_job "$i")
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id = $j" >/dev/null

# ---- CLI: branding (a bad colour is refused and says how), weekly trend
wh_expect_fail "$WH_DIR/color.err" "$WH_BIN" -c "$WH_CONF" tenant set acme --brand-color red
grep -q "#rrggbb" "$WH_DIR/color.err" || wh_fail "a bad colour's message: $(cat "$WH_DIR/color.err")"
ph tenant set acme --display-name 'Acme Engineering' --brand-color '#0F766E' --json > "$WH_DIR/brand.json"
grep -q '"brand_color":"#0f766e"' "$WH_DIR/brand.json" || wh_fail "tenant set: $(cat "$WH_DIR/brand.json")"
ph dora --tenant acme --weekly --weeks 5 --json > "$WH_DIR/weekly.json"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["weeks"]))' "$WH_DIR/weekly.json")" = 5 ] ||
	wh_fail "dora --weekly --weeks 5: $(head -c 400 "$WH_DIR/weekly.json")"
ph dora --tenant acme --weekly --weeks 5 > "$WH_DIR/weekly.txt"
grep -q '^deployment frequency' "$WH_DIR/weekly.txt" || wh_fail "dora --weekly text: $(cat "$WH_DIR/weekly.txt")"
ph dora --tenant acme --json > "$WH_DIR/dora.json"

orch_daemon main "$WH_CONF"
link=$(ph token issue --tenant acme --role view --ttl 1h --link)
case $link in
"$ORCH_URL/#token="?*) ;;
*) wh_fail "token issue --link printed '$link', not $ORCH_URL/#token=..." ;;
esac
curl -fsS "$ORCH_URL/api/v1/auth/methods" > "$WH_DIR/methods.json"
grep -q '"password":true' "$WH_DIR/methods.json" || wh_fail "auth/methods: $(cat "$WH_DIR/methods.json")"

shots=${PULSE_TEST_SCREENSHOTS:-$abs_top_builddir/tests/console-shots}
mkdir -p "$shots"
browser_copy "$deps" "$abs_top_srcdir/tests/daemon/console-ui.mjs" \
	"$abs_top_srcdir/tests/daemon/console-lib.mjs"
rc=0
orch_node "$deps/console-ui.mjs" "$ORCH_URL" "$link" "$WH_DIR/dora.json" "$shots" \
	ada@example.com "$PW" "$j" > "$WH_DIR/ui.out" 2>&1 || rc=$?
cat "$WH_DIR/ui.out"
if [ "$rc" != 0 ] || ! grep -q '^ok$' "$WH_DIR/ui.out"; then
	grep -E 'status=5|error' "$WH_DIR/main.log" | tail -20 >&2 || :
	wh_fail "the browser check failed"
fi
for p in dora jobs integrations vectors search usage; do
	for m in light dark; do
		[ -s "$shots/$p-$m.png" ] || wh_fail "no screenshot $p-$m.png"
	done
done
# the view token's forged requests were refused by the API, not only hidden
grep -q 'result=forbidden' "$WH_DIR/main.log" || wh_fail "no forbidden request in the log"
# the edit form's secret reached the store and was kept by the next save
[ "$(wh_sql "SELECT (credentials IS NOT NULL)::text || ' ' || (settings->>'repos') FROM integrations WHERE id = $i")" = "true 3" ] ||
	wh_fail "the edited integration: $(wh_sql "SELECT credentials IS NOT NULL, settings FROM integrations WHERE id = $i")"
# every embedded module is preloaded by index.html (no import waterfall)
for m in $(sed -n 's|^\s*host/server/www/\([^ \\]*\.mjs\).*|\1|p' "$abs_top_srcdir/host/local.mk"); do
	grep -c "<link rel=\"modulepreload\" href=\"/$m\">" "$abs_top_srcdir/host/server/www/index.html" >/dev/null ||
		wh_fail "host/server/www/index.html has no modulepreload link for $m"
done
# the feedback button's click reached the API as the signed-in person
ph ask feedback list --tenant acme --json > "$WH_DIR/fb.json"
python3 - "$WH_DIR/fb.json" <<'PY' || wh_fail "the console's ask feedback: $(cat "$WH_DIR/fb.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and r[0]["verdict"] == "not_helpful" and r[0]["comment"] == "wrong table", r
assert r[0]["actor"] == "user:ada@example.com" and r[0]["question"] == "which PRs waited longest?", r
PY
orch_stop main
echo "console-ui: ok (screenshots in $shots)"
