#!/bin/bash
# entra-sync: a full sync of the Graph sandbox loads exactly its users
# (manager, enabled, onPremisesImmutableId...), groups and memberships,
# including a group whose members come in slices over several pages, a
# nested group and a device member. The call count equals the minimum
# (one token, one call per delta page). A second run is a delta round:
# two calls, nothing changed. The client secret (with + / =) is in no log
# and no ps line.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"

en_setup entra-sync --users 60 --groups 8 --big-group 45 --page-size 10 --member-slice 8

id=$(en_integration '{}')
en_log "integration $id added"
# ps while the job runs: the secret is never on a command line.
en_run "$id" &
runner=$!
pslog="$EN_DIR/ps.txt"
: > "$pslog"
while kill -0 "$runner" 2>/dev/null; do
	ps -eo args >> "$pslog" 2>/dev/null || true
	sleep 0.05
done
wait "$runner"
EN_RUNS=1
EN_LOG="$EN_DIR/run.1.log"
grep -q 'finished in' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "the first run did not finish"; }
en_verify "$id"

# The big group (45 members, slices of 8) is complete, nested and device
# members keep their kind.
t="$EN_DIR/truth.json"
en_api GET /_sandbox/truth > "$t"
g0=$(jqv 'd.groups[0].id' "$t")
en_eq "members of the big group" "$(en_sql "SELECT count(*) FROM directory_memberships
	WHERE integration_id = $id AND group_external_id = '$g0' AND deleted_at IS NULL")" 45
en_eq "group members of kind group" "$(en_sql "SELECT count(*) FROM directory_memberships
	WHERE integration_id = $id AND member_kind = 'group'")" 1
en_eq "members of kind other (a device)" "$(en_sql "SELECT count(*) FROM directory_memberships
	WHERE integration_id = $id AND member_kind = 'other'")" 1
en_eq "users linked to AD (onPremisesImmutableId)" "$(en_sql "SELECT count(*) FROM directory_users
	WHERE integration_id = $id AND immutable_id IS NOT NULL")" 30
en_eq "disabled users" "$(en_sql "SELECT count(*) FROM directory_users
	WHERE integration_id = $id AND NOT enabled")" "$(jqv 'd.users.filter(u => !u.accountEnabled).length' "$t")"

# Call count against the minimum: 1 token + ceil(items / page) per walk.
en_api GET /_sandbox/stats > "$EN_DIR/stats.json"
users_pages=$(( (60 + 9) / 10 ))
items=$(node -e '
	const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const by = new Map();
	for (const m of t.memberships) by.set(m.group, (by.get(m.group) || 0) + 1);
	let n = 0;
	for (const g of t.groups) n += Math.max(1, Math.ceil((by.get(g.id) || 0) / 8));
	console.log(n);' "$t")
group_pages=$(( (items + 9) / 10 ))
min=$((users_pages + group_pages))
got=$(jqv 'd.graph_calls' "$EN_DIR/stats.json")
en_eq "Graph calls of a full sync (minimum $min)" "$got" "$min"
en_eq "token requests" "$(jqv 'd.token_requests' "$EN_DIR/stats.json")" 1
grep -q "graph_calls=$min " "$EN_LOG" || en_fail "the run's summary does not say graph_calls=$min"

# A second run starts from the delta links: one call per walk, no change.
en_api POST /_sandbox/stats/reset >/dev/null
en_run_ok "$id"
grep -q 'walk=users round=delta' "$EN_LOG" || en_fail "the second run was not a delta round"
en_eq "Graph calls of a no-change run" "$(en_api GET /_sandbox/stats | jqv 'd.graph_calls')" 2
if grep -E '^  [a-z_]+ +[0-9]+ records: [0-9]+ inserted' "$EN_LOG" |
	grep -vE ': 0 inserted, 0 updated,' >&2; then
	en_fail "the no-change run changed rows (above)"
fi
en_verify "$id"

# The secret is in no log, no ps line, no state; no token is logged.
for f in "$EN_DIR"/run.*.log "$pslog"; do
	if grep -F -- "$EN_SECRET" "$f" >/dev/null; then
		en_fail "the client secret appears in $(basename "$f")"
	fi
	if grep -E 'eyJ0eXAiOiJKV1Qi\.' "$f" >/dev/null; then
		en_fail "an access token appears in $(basename "$f")"
	fi
done
[ -s "$pslog" ] || en_fail "no ps output was captured"
n=$(en_sql "SELECT count(*) FROM integration_state WHERE value LIKE '%Qx8~p%'" 2>/dev/null || echo 0)
en_eq "states holding the secret" "$n" 0
en_eq "integration rows holding the secret in clear" "$(en_sql "SELECT count(*) FROM integrations
	WHERE row_to_json(integrations)::text LIKE '%Qx8~p%'")" 0
en_log "PASS"
