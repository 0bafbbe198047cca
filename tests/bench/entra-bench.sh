#!/bin/bash
# tests/bench/entra-bench.sh: sync a directory of 50,000 users and 5,000
# groups from the Graph sandbox (tests/sandbox/graph) with the entra
# plugin (`pulse-host job run --in-process`) and report
#   - users per second (extract + transform + load, wall clock),
#   - peak RSS of the pulse-host process,
#   - the calls the sandbox answered (token + delta pages) against the
#     minimum: 1 token + ceil(users / page) + ceil(group items / page),
#     where a group is one item per --member-slice of its members (at
#     least one), counted from the sandbox's truth, not from its paging,
# beside a baseline measured in the same run: curl walking the same delta
# pages (nextLink to deltaLink) with one token, the sandbox's own time.
#
#   tests/bench/entra-bench.sh [USERS [GROUPS [PAGE [SLICE]]]]
#       default 50000 5000 200 100 (groups but the 3,000-member one hold
#       at most 40 members)
set -euo pipefail

BENCH_NAME=entra-bench
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
USERS=${1:-50000}
GROUPS_N=${2:-5000}
PAGE=${3:-200}
SLICE=${4:-100}
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"
entra_bench_exit() { en_cleanup; bench_pg_cleanup; }

en_setup entra-bench --users "$USERS" --groups "$GROUPS_N" --big-group 3000 \
	--max-members 40 --page-size "$PAGE" --member-slice "$SLICE"
trap entra_bench_exit EXIT
T=$EN_DIR

# The minimum number of calls, from the truth's membership counts.
curl -sSf "$EN_URL/_sandbox/truth" > "$T/truth.json" || en_fail "GET /_sandbox/truth failed"
read -r nusers ngroups nlinks min_calls < <(node -e '
	const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const [page, slice] = [+process.argv[2], +process.argv[3]];
	const per = new Map(d.groups.map((g) => [g.id, 0]));
	for (const m of d.memberships) per.set(m.group, (per.get(m.group) || 0) + 1);
	let items = 0;
	for (const n of per.values()) items += Math.max(1, Math.ceil(n / slice));
	const min = 1 + Math.ceil(d.users.length / page) + Math.ceil(items / page);
	console.log(d.users.length, d.groups.length, d.memberships.length, min);
' "$T/truth.json" "$PAGE" "$SLICE")
rm -f "$T/truth.json"
[ "$nusers" = "$USERS" ] || en_fail "the sandbox holds $nusers users, want $USERS"

# Baseline: curl walks the same delta rounds, one token, nothing stored.
# The secret goes to curl through a file, never on its command line.
umask 077
printf 'grant_type=client_credentials&client_id=%s&scope=%s&client_secret=%s' \
	"$EN_CLIENT" "$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' \
	"$EN_URL/.default")" "$(S=$EN_SECRET node -e 'process.stdout.write(encodeURIComponent(process.env.S))')" \
	> "$T/token.form"
t0=$(harness_now)
curl -sSf --data @"$T/token.form" -o "$T/token.json" \
	"$EN_URL/$EN_SANDBOX_TENANT/oauth2/v2.0/token" || en_fail "the baseline's token request failed"
tok=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$T/token.json")
[ -n "$tok" ] || en_fail "the baseline's token reply has no access_token"
printf 'header = "Authorization: Bearer %s"\n' "$tok" > "$T/curl.auth"
base_calls=1
# The plugin's $select (plugins/source-entra/extract.c), so the pages weigh the same.
for q in 'users/delta?$select=id,displayName,userPrincipalName,mail,mailNickname,accountEnabled,department,jobTitle,employeeId,userType,givenName,surname,onPremisesImmutableId,onPremisesSamAccountName,onPremisesSyncEnabled,onPremisesDistinguishedName,onPremisesDomainName,manager' \
	'groups/delta?$select=id,displayName,description,mail,mailNickname,securityEnabled,mailEnabled,groupTypes,onPremisesSyncEnabled,onPremisesSamAccountName,members'; do
	url="$EN_URL/v1.0/$q"
	while [ -n "$url" ]; do
		curl -sSf -K "$T/curl.auth" -o "$T/page.json" "$url" || en_fail "baseline: GET $url failed"
		base_calls=$((base_calls + 1))
		url=$(sed -n 's/.*"@odata\.nextLink":"\([^"]*\)".*/\1/p' "$T/page.json")
	done
	grep -c '"@odata.deltaLink"' "$T/page.json" >/dev/null || en_fail "baseline: a walk ended without a deltaLink"
done
base_s=$(harness_elapsed "$t0")
rm -f "$T/curl.auth" "$T/token.form" "$T/token.json" "$T/page.json"

id=$(en_integration '{}')
en_api POST /_sandbox/stats/reset >/dev/null
t0=$(harness_now)
EN_LOG="$T/bench.run1.log"
/usr/bin/time -f '%M %e' -o "$T/time1" "$B" -c "$EN_CONF" job run --in-process \
	"$id" >"$EN_LOG" 2>&1 || { tail -30 "$EN_LOG" >&2; en_fail "job run failed"; }
secs=$(harness_elapsed "$t0")
rss_kb=$(cut -d' ' -f1 "$T/time1")
en_api GET /_sandbox/stats > "$T/stats1.json"
calls=$(jqv 'd.graph_calls + d.token_requests' "$T/stats1.json")
loaded=$(en_sql "SELECT count(*) FROM directory_users WHERE integration_id = $id AND deleted_at IS NULL")
links=$(en_sql "SELECT count(*) FROM directory_memberships WHERE integration_id = $id AND deleted_at IS NULL")
[ "$loaded" = "$USERS" ] || en_fail "loaded $loaded users, want $USERS"
[ "$links" = "$nlinks" ] || en_fail "loaded $links memberships, want $nlinks"

awk -v u="$USERS" -v g="$ngroups" -v l="$links" -v s="$secs" -v b="$base_s" -v bc="$base_calls" \
	-v rss="$rss_kb" -v c="$calls" -v m="$min_calls" -v p="$PAGE" -v sl="$SLICE" 'BEGIN {
	printf "entra-bench: full sync of %d users, %d groups, %d memberships (page %d, member slice %d)\n", u, g, l, p, sl
	printf "entra-bench: users/s            %.0f  (%.1f s wall, extract+transform+load)\n", u / s, s
	printf "entra-bench: baseline users/s   %.0f  (curl walking the same %d pages, one token, %.1f s)\n", u / b, bc, b
	printf "entra-bench: peak RSS           %.1f MiB\n", rss / 1024
	printf "entra-bench: calls              %d, minimum %d (1 token + ceil(users/page) + ceil(group items/page)); %+d\n", c, m, c - m
}'
grep -c 'people were not resolved\|people of tenant' "$EN_LOG" >/dev/null &&
	en_log "note: the run's people resolve failed: $(grep -m1 'not resolved' "$EN_LOG")"

# A second run from the delta links: nothing changed.
en_api POST /_sandbox/stats/reset >/dev/null
t1=$(harness_now)
/usr/bin/time -f '%M %e' -o "$T/time2" "$B" -c "$EN_CONF" job run --in-process \
	"$id" >"$T/bench.run2.log" 2>&1 || { tail -30 "$T/bench.run2.log" >&2; en_fail "second run failed"; }
secs2=$(harness_elapsed "$t1")
calls2=$(en_api GET /_sandbox/stats | jqv 'd.graph_calls + d.token_requests')

awk -v s2="$secs2" -v c2="$calls2" 'BEGIN {
	printf "entra-bench: second run from the delta links, nothing changed: %.1f s, %d calls (minimum 3)\n", s2, c2
}'
