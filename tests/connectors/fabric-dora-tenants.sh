#!/bin/bash
# fabric-dora-tenants: DORA over Fabric deploy operations, and tenant
# isolation.
#  - `pulse-host dora --repo fabric/<pipeline>` and, after `dora map`,
#    `--project <workspace>` count the successful deploys to the
#    pipeline's last stage, and the distinct days they fell on, as worked
#    out here from the sandbox's truth (not from our code), and the change
#    failure rate: failed deploys to the last stage over all deploys to it;
#  - two tenants with two Fabric sandboxes (different seeds) each get
#    exactly their own rows; under RLS, the app role sees one tenant's
#    rows only, and none without a tenant.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"

fb_setup fabric-dora-tenants --workspaces 3 --items 2 --runs 2 --deploys 14 --rows 3
fb_start_sandbox URL2 --seed other --workspaces 2 --items 3 --runs 2 --deploys 5
fb_cli tenant add t2 >/dev/null || fb_fail "tenant add t2 failed"

id1=$(fb_integration '{}' t1)
id2=$(fb_integration '{}' t2 "$URL2")
fb_run_ok "$id1"
fb_run_ok "$id2"
fb_verify "$id1"
fb_verify "$id2" "$URL2"

# --- DORA, hand-worked from the truth
t="$FB_DIR/truth1.json"
fb_api GET /_sandbox/truth > "$t"
# Change failure rate: a failed deploy operation to the last stage is a
# failed change; it counts among the deployments of the rate (not of the
# frequency). No Incident type is mapped here, so failures are those alone.
read -r pipe deps days failed cfr < <(node -e '
	const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const ok = t.deploys.filter((d) => d.production && d.status === "Succeeded");
	const bad = t.deploys.filter((d) => d.production && d.status === "Failed");
	const days = new Set(ok.map((d) => d.end.slice(0, 10)));
	const all = ok.length + bad.length;
	console.log(t.deploys[0].pipeline.toLowerCase().replace(/ /g, "_"), ok.length, days.size,
		bad.length, (100 * bad.length / all).toFixed(1) + "_%");' "$t")
pipe=${pipe//_/ }
cfr=${cfr//_/ }
[ "$deps" -ge 3 ] || fb_fail "the sandbox has too few production deploys ($deps) for a DORA check"
[ "$failed" -ge 2 ] || fb_fail "the sandbox has too few failed production deploys ($failed) for a DORA check"
# cfr_check WHAT FILE: the change failure rate of a report equals the truth's
cfr_check() {
	fb_eq "$1: change failure rate deployments" \
		"$(jqv 'd.change_failure_rate.deployments' "$2")" "$((deps + failed))"
	fb_eq "$1: failed deployments" "$(jqv 'd.change_failure_rate.failed_deployments' "$2")" "$failed"
	fb_eq "$1: change failure rate" "$(jqv 'd.change_failure_rate.display' "$2")" "$cfr"
}
fb_cli dora --tenant t1 --repo "fabric/$pipe" --from 2026-03-01 --to 2026-06-01 --json > "$FB_DIR/dora.json" ||
	fb_fail "dora --repo failed"
fb_eq "DORA deployments (fabric/$pipe)" "$(jqv 'd.deployment_frequency.deployments' "$FB_DIR/dora.json")" "$deps"
fb_eq "DORA deployment days" "$(jqv 'd.deployment_frequency.deployment_days' "$FB_DIR/dora.json")" "$days"
cfr_check "fabric/$pipe" "$FB_DIR/dora.json"
prod=$(jqv 'd.workspaces[2].displayName' "$t")
fb_cli dora map --tenant t1 "$prod" "fabric/$pipe" >/dev/null || fb_fail "dora map failed"
fb_cli dora --tenant t1 --project "$prod" --from 2026-03-01 --to 2026-06-01 --json > "$FB_DIR/dora-p.json" ||
	fb_fail "dora --project failed"
fb_eq "DORA deployments of project '$prod'" "$(jqv 'd.deployment_frequency.deployments' "$FB_DIR/dora-p.json")" "$deps"
cfr_check "project '$prod'" "$FB_DIR/dora-p.json"
fb_eq "t1 DORA over all repositories (no t2 deploys)" "$(fb_cli dora --tenant t1 --from 2026-03-01 \
	--to 2026-06-01 --json | jqv 'd.deployment_frequency.deployments')" "$deps"

# --- RLS: the app role sees one tenant at a time
tid1=$(fb_sql "SELECT id FROM tenants WHERE name = 't1'")
tid2=$(fb_sql "SELECT id FROM tenants WHERE name = 't2'")
t2="$FB_DIR/truth2.json"
fb_api "$URL2" GET /_sandbox/truth > "$t2"
app() { psql -X -q -At -v ON_ERROR_STOP=1 "$PULSE_HOST_DATABASE_URL" -c "$1"; }
# one query for the four tables; $1: a filter (none under RLS)
counts() {
	local t out=
	for t in fabric_workspaces fabric_items fabric_job_runs deployments; do
		out="$out${out:+ || ',' || }(SELECT count(*) FROM $t ${1:-})"
	done
	printf '%s' "$out"
}
for i in 1 2; do
	iid=id$i tid=tid$i
	fb_eq "rows tenant t$i sees (workspaces,items,runs,deployments)" \
		"$(app "SET app.tenant_id = '${!tid}'; SELECT $(counts)")" \
		"$(fb_sql "SELECT $(counts "WHERE integration_id = ${!iid}")")"
done
fb_eq "rows seen without a tenant" "$(app "SELECT $(counts)")" "0,0,0,0"
fb_eq "t2's runs in t1's integration" "$(fb_sql "SELECT count(*) FROM fabric_job_runs r
	WHERE r.integration_id = $id1 AND r.external_id IN
	($(jqv 'd.runs.map((r) => "'"'"'" + r.id + "'"'"'").join(",")' "$t2"))")" 0
fb_eq "job runs of t2" "$(fb_sql "SELECT count(*) FROM fabric_job_runs WHERE tenant_id = $tid2")" \
	"$(jqv 'd.runs.length' "$t2")"
fb_log "PASS"
