#!/usr/bin/env bash
# selftest.sh: checks the GitHub sandbox server itself.
#
# Starts the sandbox on a free loopback port, drives it with curl (node reads
# the JSON), and prints one line per check and a closing "N passed, M failed".
# Exit status: 0 when every check passed.
#
#   bash tests/sandbox/github/selftest.sh [-v]      (-v: show server stderr)
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

NODE_PATH=$(bash "$here/ensure-deps.sh") && export NODE_PATH || { echo "selftest: dependencies missing"; echo "0 passed, 1 failed"; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "selftest: curl is required"; echo "0 passed, 1 failed"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gh-sandbox-selftest.XXXXXX")"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() {
	failed=$((failed + 1))
	printf 'FAIL %s%s\n' "$1" "${2:+ ($2)}"
}
# check NAME CONDITION-COMMAND...
check() {
	local name="$1"
	shift
	if "$@"; then ok "$name"; else bad "$name" "$(head -c 300 "$tmp/b" 2>/dev/null | tr '\n' ' ')"; fi
}

# start_server NAME ARGS... : starts, waits for the port file, sets $port
start_server() {
	local name="$1"
	shift
	local pf="$tmp/$name.port"
	local errf="$tmp/$name.err"
	[ "$verbose" = 1 ] && errf=/dev/stderr
	node "$here/server.js" --port 0 --port-file "$pf" "$@" >"$tmp/$name.out" 2>"$errf" &
	pids+=("$!")
	eval "pid_$name=$!"
	local i
	for i in $(seq 1 150); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	if [ ! -s "$pf" ]; then
		echo "selftest: server $name did not start:"
		cat "$tmp/$name.err" 2>/dev/null
		echo "0 passed, 1 failed"
		exit 1
	fi
	port="$(cat "$pf")"
}

# http METHOD PATH [curl args...] -> $code, $rc; body in $tmp/b, headers in $tmp/h
http() {
	local method="$1" path="$2"
	shift 2
	rm -f "$tmp/b" "$tmp/h"
	code="$(curl -sS -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -X "$method" "$base$path" "$@" 2>"$tmp/curlerr")"
	rc=$?
}
TOKEN='Authorization: Bearer sandbox-token'
get() { http GET "$1" -H "$TOKEN" "${@:2}"; }
# header NAME -> value of the last such header
header() { grep -i "^$1:" "$tmp/h" | tail -n 1 | cut -d' ' -f2- | tr -d '\r'; }
# js EXPR -> evaluates EXPR (one line of JavaScript) with b = the parsed body.
# One node process serves all evaluations (starting node per check is slow).
coproc JSQ {
	node -e '
const fs = require("fs");
const T = process.argv[1];
require("readline").createInterface({ input: process.stdin }).on("line", (expr) => {
  let b;
  try { b = JSON.parse(fs.readFileSync(T + "/b", "utf8")); } catch (e) { b = undefined; }
  let v;
  try { v = eval(expr); } catch (e) { v = "ERROR: " + e.message; }
  const s = v === undefined ? "undefined" : typeof v === "string" ? v : JSON.stringify(v);
  process.stdout.write(String(s).replace(/\n/g, " ") + "\n");
});
' "$tmp"
}
pids+=("$JSQ_PID")
js() {
	local out
	printf '%s\n' "$1" >&"${JSQ[1]}"
	IFS= read -r out <&"${JSQ[0]}"
	printf '%s' "$out"
}
is() { [ "$(js "$1")" = "$2" ]; }
# gql QUERY [VARIABLES-JSON] [extra curl args]
gql() {
	printf '%s' "$1" >"$tmp/qtext"
	printf '%s' "${2:-}" >"$tmp/qvars"
	js 'fs.writeFileSync(T + "/q", JSON.stringify({ query: fs.readFileSync(T + "/qtext", "utf8"), variables: JSON.parse(fs.readFileSync(T + "/qvars", "utf8") || "{}") })), 1' >/dev/null
	http POST /graphql -H "$TOKEN" -H 'Content-Type: application/json' --data-binary @"$tmp/q" "${@:3}"
}
admin() { http "$1" "$2" -H 'Content-Type: application/json' ${3:+--data-binary "$3"}; }

start_server main --seed 7 --repos 5 --prs 40 --org acme --token sandbox-token --token second-token
base="http://127.0.0.1:$port"
main_port="$port"

# ------------------------------------------------------------------ basics
admin GET /_sandbox/health
check "health" is 'b.ok && b.repos === 5 && b.prs === 200' true

http GET /orgs/acme/repos
check "REST without token: 401 Requires authentication" is "'$code' === '401' && b.message === 'Requires authentication'" true
http GET /orgs/acme/repos -H 'Authorization: Bearer wrong'
check "REST bad token: 401 Bad credentials" is "'$code' === '401' && b.message === 'Bad credentials' && !!b.documentation_url" true
http POST /graphql -H 'Authorization: bearer nope' --data-binary '{"query":"{viewer{login}}"}'
check "GraphQL bad token: 401" [ "$code" = 401 ]
http GET /orgs/acme -H 'Authorization: token second-token'
check "'token' scheme and a second --token accepted" [ "$code" = 200 ]

# ------------------------------------------------------------------ GraphQL
PRQ='query($o:String!,$n:String!,$after:String){
  rateLimit{cost remaining resetAt limit used}
  repository(owner:$o,name:$n){
    pullRequests(first:10,after:$after,orderBy:{field:UPDATED_AT,direction:DESC}){
      totalCount pageInfo{hasNextPage endCursor}
      nodes{ id number title state isDraft createdAt updatedAt mergedAt closedAt
        author{login} baseRefName headRefName mergeCommit{oid}
        commits(first:100){totalCount pageInfo{hasNextPage endCursor} nodes{commit{oid committedDate authoredDate message}}}
        reviews(first:50){totalCount pageInfo{hasNextPage endCursor} nodes{id state submittedAt author{login}}}
        comments(first:50){totalCount pageInfo{hasNextPage endCursor} nodes{id createdAt author{login}}} }}}}'
gql "$PRQ" '{"o":"acme","n":"api-gateway"}'
check "GraphQL PR query returns 10 PRs" is 'b.data.repository.pullRequests.nodes.length === 10 && b.data.repository.pullRequests.totalCount === 40 && !b.errors' true
check "GraphQL rateLimit present and consistent" is 'const r = b.data.rateLimit; r.cost === 1 && r.remaining === r.limit - r.used && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r.resetAt)' true
check "GraphQL x-ratelimit-resource is graphql" [ "$(header x-ratelimit-resource)" = graphql ]
check "PRs ordered by updatedAt DESC" is 'const n = b.data.repository.pullRequests.nodes; n.every((p, i) => i === 0 || n[i - 1].updatedAt >= p.updatedAt)' true

gql '{ repository(owner:"acme",name:"api-gateway"){ pullRequests(first:1){ nodes{ number bogusField } } } }'
check "unknown field rejected by schema validation" is "!('data' in b) && b.errors[0].extensions.code === 'undefinedField' && /bogusField/.test(b.errors[0].message)" true
gql '{ repository(owner:"acme",name:"api-gateway"){ pullRequests(orderBy:{field:UPDATED_AT,direction:DESC}){ nodes{ number } } } }'
check "missing first: MISSING_PAGINATION_BOUNDARIES" is "b.errors[0].type === 'MISSING_PAGINATION_BOUNDARIES' && !b.data" true
gql '{ repository(owner:"acme",name:"api-gateway"){ pullRequests(first:101){ nodes{ number } } } }'
check "first:101: EXCESSIVE_PAGINATION" is "b.errors[0].type === 'EXCESSIVE_PAGINATION'" true
gql '{ repository(owner:"acme",name:"api-gateway"){ pullRequests(first:"ten"){ nodes{ number } } } }'
check "wrong argument type rejected" is "b.errors.length > 0 && !b.data" true
gql '{ repository(owner:"acme",name:"no-such-repo"){ name } }'
check "unknown repository: NOT_FOUND with data.repository null" is "b.data.repository === null && b.errors[0].type === 'NOT_FOUND'" true
gql '{ rateLimit{cost nodeCount} repository(owner:"acme",name:"api-gateway"){ pullRequests(first:50){ nodes{ commits(first:100){totalCount} reviews(first:50){totalCount} comments(first:50){totalCount} } } } }'
check "cost formula: 1+50+50+50 requests -> 2 points, 10050 nodes" is 'b.data.rateLimit.cost === 2 && b.data.rateLimit.nodeCount === 10050' true
gql '{ repository(owner:"acme",name:"api-gateway"){ pullRequests(first:100){ nodes{ commits(first:100){ nodes{ commit{ history(first:100){ totalCount } } } } } } } }'
check "over 500,000 nodes: MAX_NODE_LIMIT_EXCEEDED" is "b.errors[0].type === 'MAX_NODE_LIMIT_EXCEEDED'" true

# ------------------------------------------------------------------ REST
pages=0
names=""
next="/orgs/acme/repos?type=all&sort=full_name&per_page=2"
while [ -n "$next" ] && [ "$pages" -lt 10 ]; do
	get "$next"
	pages=$((pages + 1))
	names="$names $(js 'b.map((r) => r.name).join(" ")')"
	link="$(header link)"
	next="$(printf '%s' "$link" | sed -n 's/.*<\([^>]*\)>; rel="next".*/\1/p')"
	next="${next#"$base"}"
done
check "REST Link rel=next walks all 5 repos in 3 pages" [ "$pages" = 3 ] && [ "$(echo $names | wc -w)" = 5 ]
check "sort=full_name is ascending" [ "$(echo $names | tr ' ' '\n')" = "$(echo $names | tr ' ' '\n' | sort)" ]

get /api/v3/orgs/acme/repos?per_page=2
check "GHE prefix /api/v3 works and Link keeps it" bash -c "[ '$code' = 200 ] && grep -qi '^link: <http://127.0.0.1:$port/api/v3/orgs/acme/repos?per_page=2&page=2>' '$tmp/h'"
gql '{ viewer { login } }' && http POST /api/graphql -H "$TOKEN" --data-binary @"$tmp/q"
check "GHE GraphQL path /api/graphql works" is 'b.data.viewer.login.length > 0' true

get /repos/acme/no-such-repo
check "unknown repo: 404 Not Found" is "'$code' === '404' && b.message === 'Not Found'" true

get /repos/acme/api-gateway
etag="$(header etag)"
used1="$(header x-ratelimit-used)"
get /repos/acme/api-gateway -H "If-None-Match: $etag"
check "matching If-None-Match: 304, empty body, same ETag" bash -c "[ '$code' = 304 ] && [ ! -s '$tmp/b' ] && [ '$(header etag)' = '$etag' ]"
check "304 not counted against the rate limit" [ "$(header x-ratelimit-used)" = "$used1" ]
get /repos/acme/api-gateway -H 'If-None-Match: W/"stale"'
check "stale ETag: 200" [ "$code" = 200 ]

get '/repos/acme/api-gateway/deployments?environment=staging&per_page=100'
check "deployments environment filter" is "b.length > 0 && b.every((d) => d.environment === 'staging')" true
dep_id="$(js 'b[0].id')"
get "/repos/acme/api-gateway/deployments/$dep_id/statuses"
check "deployment statuses newest first" is 'b.length >= 2 && b.every((s, i) => i === 0 || b[i - 1].created_at >= s.created_at) && b[0].id > b[b.length - 1].id' true
get /repos/acme/api-gateway/releases
check "releases listed (drafts included)" is 'b.length > 0 && b.every((r) => typeof r.tag_name === "string")' true

admin GET '/_sandbox/truth?repo=api-gateway&main=1'
cp "$tmp/b" "$tmp/truth.json"
read -r d1 d2 i1 i2 <<<"$(js 'const d = b.repos[0].deployments.filter((x) => x.environment === "production"); [d[0].sha, d[d.length - 1].sha, d[0].main_index, d[d.length - 1].main_index].join(" ")')"
get "/repos/acme/api-gateway/compare/$d1...$d2"
check "compare deploy...deploy: ahead by the merges in between" is "b.status === 'ahead' && b.ahead_by === $i2 - $i1 && b.total_commits === b.ahead_by && b.commits.length === b.ahead_by" true
cp "$tmp/b" "$tmp/cmp.json"
check "compare commits are the main merge commits, oldest first" node -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1])).repos[0].main;
const c = JSON.parse(require("fs").readFileSync(process.argv[2])).commits;
const i1 = Number(process.argv[3]);
process.exit(c.every((x, k) => x.sha === t[i1 + 1 + k].sha && / \(#\d+\)$/.test(x.commit.message.split("\n")[0])) ? 0 : 1);
' "$tmp/truth.json" "$tmp/cmp.json" "$i1"
get "/repos/acme/api-gateway/compare/$d2...$d1"
check "compare reversed: behind" is "b.status === 'behind' && b.behind_by === $i2 - $i1 && b.commits.length === 0" true
get "/repos/acme/api-gateway/compare/$d1...$d1"
check "compare same: identical" is "b.status === 'identical'" true
get "/repos/acme/api-gateway/compare/$d1...$d2?per_page=2"
check "compare paginates commits with Link" is "b.commits.length === 2 && /rel=\"next\"/.test(fs.readFileSync(T + '/h', 'utf8'))" true

get /rate_limit
check "GET /rate_limit" is 'b.resources.core.limit === 5000 && b.resources.graphql.limit === 5000 && b.rate.remaining === b.resources.core.remaining' true

# ------------------------------------------------------------------ faults
admin POST /_sandbox/faults '[{"kind":"primary_limit","api":"rest","reset_in":30}]'
get /orgs/acme/repos
reset="$(header x-ratelimit-reset)"
date_s="$(date -d "$(header date)" +%s)"
check "primary_limit REST: 403, remaining 0, reset = now+30" bash -c "[ '$code' = 403 ] && [ '$(header x-ratelimit-remaining)' = 0 ] && [ \$(( $reset - $date_s )) -ge 29 ] && [ \$(( $reset - $date_s )) -le 31 ]"
check "primary_limit body is GitHub's message" is "/API rate limit exceeded/.test(b.message)" true
get /orgs/acme
check "still limited until reset" [ "$code" = 403 ]
gql '{ viewer { login } }'
check "REST limit does not affect GraphQL" is '!!b.data.viewer' true
admin POST /_sandbox/clock '{"advance": 31}'
get /orgs/acme
check "clock advance past reset clears the primary limit" [ "$code" = 200 ]

admin POST /_sandbox/faults '[{"kind":"primary_limit","api":"rest","status":429,"reset_in":5}]'
get /orgs/acme
check "primary_limit status 429 variant" bash -c "[ '$code' = 429 ] && [ '$(header x-ratelimit-remaining)' = 0 ]"
admin POST /_sandbox/clock '{"advance": 6}'

admin POST /_sandbox/faults '[{"kind":"primary_limit","api":"graphql","reset_in":2}]'
gql '{ viewer { login } }'
check "primary_limit GraphQL: 200 + RATE_LIMITED, data null" is "'$code' === '200' && b.data === null && b.errors[0].type === 'RATE_LIMITED'" true
check "GraphQL limited: x-ratelimit-remaining 0" [ "$(header x-ratelimit-remaining)" = 0 ]
admin POST /_sandbox/clock '{"advance": 3}'
admin POST /_sandbox/faults '[{"kind":"primary_limit","api":"graphql","graphql_type":"RATE_LIMIT","reset_in":2}]'
gql '{ viewer { login } }'
check "primary_limit GraphQL 2026 shape: RATE_LIMIT / graphql_rate_limit" is "b.errors[0].type === 'RATE_LIMIT' && b.errors[0].code === 'graphql_rate_limit'" true
admin POST /_sandbox/clock '{"advance": 3}'
gql '{ viewer { login } }'
check "GraphQL served again after reset" is '!!b.data.viewer' true

admin POST /_sandbox/faults '[{"kind":"secondary_limit","retry_after":7}]'
get /orgs/acme
check "secondary_limit: 403 + Retry-After" bash -c "[ '$code' = 403 ] && [ '$(header retry-after)' = 7 ] && [ '$(header x-ratelimit-remaining)' != 0 ]"
check "secondary_limit message" is "/secondary rate limit/.test(b.message)" true
admin POST /_sandbox/faults '[{"kind":"secondary_limit","retry_after":null}]'
get /orgs/acme
check "secondary_limit without Retry-After" bash -c "[ '$code' = 403 ] && [ -z '$(header retry-after)' ]"
get /orgs/acme
check "faults are consumed (count 1)" [ "$code" = 200 ]

admin POST /_sandbox/faults '[{"kind":"status","status":502,"delay_ms":300}]'
t0="$(date +%s%N)"
get /orgs/acme
t1="$(date +%s%N)"
check "status fault 502 with delay_ms" bash -c "[ '$code' = 502 ] && [ \$(( ($t1 - $t0) / 1000000 )) -ge 290 ]"
admin POST /_sandbox/faults '[{"kind":"status","status":500,"count":2}]'
get /orgs/acme; c1="$code"
get /orgs/acme; c2="$code"
get /orgs/acme; c3="$code"
check "status fault with count 2" [ "$c1$c2$c3" = 500500200 ]

admin POST /_sandbox/faults '[{"kind":"truncate","path_prefix":"/repos/acme/api-gateway"}]'
get /orgs/acme
check "path_prefix: other paths untouched" [ "$code" = 200 ]
get /repos/acme/api-gateway
len="$(header content-length)"
got="$(wc -c <"$tmp/b")"
check "truncate: 200, Content-Length full, body cut (curl exit 18)" bash -c "[ '$code' = 200 ] && [ '$rc' = 18 ] && [ '$got' -lt '$len' ]"

admin POST /_sandbox/faults '[{"kind":"invalid_json","api":"graphql"}]'
gql '{ viewer { login } }'
check "invalid_json: 200 with unparseable body" is "'$code' === '200' && b === undefined && fs.statSync(T + '/b').size > 0" true

admin POST /_sandbox/faults '[{"kind":"close"}]'
get /orgs/acme
check "close: connection closed without a reply" [ "$rc" = 52 ]

admin POST /_sandbox/faults '[{"kind":"status","status":504,"skip":1,"method":"GET"},{"kind":"delay","delay_ms":10}]'
admin GET /_sandbox/faults
check "GET /_sandbox/faults lists pending faults" is "b.pending.length === 2 && b.pending[0].kind === 'status' && b.pending[0].skip === 1" true
admin DELETE /_sandbox/faults
admin GET /_sandbox/faults
check "DELETE /_sandbox/faults clears" is 'b.pending.length === 0' true
admin POST /_sandbox/faults '[{"kind":"nonsense"}]'
check "unknown fault kind: 400" [ "$code" = 400 ]

# natural exhaustion of the REST budget
admin POST /_sandbox/ratelimit '{"resource":"core","remaining":1,"token":"second-token"}'
http GET /orgs/acme -H 'Authorization: Bearer second-token'
c1="$code"; r1="$(header x-ratelimit-remaining)"
http GET /orgs/acme -H 'Authorization: Bearer second-token'
check "REST budget runs out: last 200 shows remaining 0, next is 403" [ "$c1:$r1:$code" = "200:0:403" ]

# ------------------------------------------------------------------ clock
get /orgs/acme
d0="$(date -d "$(header date)" +%s)"
admin POST /_sandbox/clock '{"advance": 3600}'
get /orgs/acme
d1="$(date -d "$(header date)" +%s)"
check "clock advance moves the Date header" [ $((d1 - d0)) -ge 3600 ]
check "budget window renewed after an hour" [ "$(header x-ratelimit-used)" = 1 ]

# ------------------------------------------------------------------ mutations
Q_TOP='{ repository(owner:"acme",name:"api-gateway"){ pullRequests(first:5,orderBy:{field:UPDATED_AT,direction:DESC}){ totalCount nodes{ number updatedAt state mergeCommit{oid} reviews(first:1){totalCount} } } } }'
gql "$Q_TOP"
before_top="$(js 'b.data.repository.pullRequests.nodes[0].number')"
victim="$(js 'b.data.repository.pullRequests.nodes[4].number')"
victim_reviews="$(js 'b.data.repository.pullRequests.nodes[4].reviews.totalCount')"
total_before="$(js 'b.data.repository.pullRequests.totalCount')"
get /repos/acme/api-gateway
etag_before="$(header etag)"
admin POST /_sandbox/mutate "{\"op\":\"add_review\",\"repo\":\"api-gateway\",\"number\":$victim,\"state\":\"APPROVED\"}"
gql "$Q_TOP"
check "add_review moves the PR to the top of UPDATED_AT DESC" is "b.data.repository.pullRequests.nodes[0].number === $victim && $victim !== $before_top" true
check "add_review adds a review" is "b.data.repository.pullRequests.nodes[0].reviews.totalCount === $victim_reviews + 1" true
admin POST /_sandbox/mutate '[{"op":"add_prs","repo":"api-gateway","count":2}]'
new_pr="$(js 'b.results[0].numbers[1]')"
gql "$Q_TOP"
check "add_prs: two new PRs on top" is "b.data.repository.pullRequests.totalCount === $total_before + 2 && b.data.repository.pullRequests.nodes[0].number === $new_pr" true
admin POST /_sandbox/mutate "{\"op\":\"merge_pr\",\"repo\":\"api-gateway\",\"number\":$new_pr}"
merge_oid="$(js 'b.results[0].mergeCommit')"
gql "$Q_TOP"
check "merge_pr: state MERGED with mergeCommit" is "const p = b.data.repository.pullRequests.nodes[0]; p.number === $new_pr && p.state === 'MERGED' && p.mergeCommit.oid === '$merge_oid'" true
get /repos/acme/api-gateway
check "merge_pr changes the repository ETag" [ "$(header etag)" != "$etag_before" ]
get "/repos/acme/api-gateway/compare/$d2...main"
check "compare last deploy...main includes the new merge" is "b.commits[b.commits.length - 1].sha === '$merge_oid'" true
admin POST /_sandbox/mutate "{\"op\":\"add_deployment\",\"repo\":\"api-gateway\",\"environment\":\"production\",\"sha\":\"$merge_oid\",\"statuses\":[\"failure\",\"success\"]}"
dep_new="$(js 'b.results[0].id')"
get '/repos/acme/api-gateway/deployments?environment=production&per_page=1'
check "add_deployment: newest production deployment" is "b[0].id === $dep_new && b[0].sha === '$merge_oid'" true
get "/repos/acme/api-gateway/deployments/$dep_new/statuses"
check "add_deployment statuses newest first: success, failure, in_progress" is "b.map((s) => s.state).join() === 'success,failure,in_progress'" true
admin POST /_sandbox/mutate '{"op":"merge_pr","repo":"api-gateway","number":99999}'
check "bad mutation: 400" [ "$code" = 400 ]

# ------------------------------------------------------------------ truth vs GraphQL paging
check "truth counts equal what GraphQL paging returns (api-gateway)" node - "$base" <<'EOF'
const base = process.argv[2];
const H = { Authorization: 'Bearer sandbox-token', 'Content-Type': 'application/json' };
async function gql(query, variables) {
  const r = await fetch(`${base}/graphql`, { method: 'POST', headers: H, body: JSON.stringify({ query, variables }) });
  const j = await r.json();
  if (j.errors) throw new Error(JSON.stringify(j.errors));
  return j.data;
}
const NESTED = {
  commits: 'commits(first:100,after:$after){totalCount pageInfo{hasNextPage endCursor} nodes{commit{oid}}}',
  reviews: 'reviews(first:50,after:$after){totalCount pageInfo{hasNextPage endCursor} nodes{id}}',
  comments: 'comments(first:50,after:$after){totalCount pageInfo{hasNextPage endCursor} nodes{id}}',
};
(async () => {
  const truth = await (await fetch(`${base}/_sandbox/truth?repo=api-gateway`)).json();
  const want = new Map(truth.repos[0].prs.map((p) => [p.number, p]));
  const got = new Map();
  let after = null;
  let nestedPages = 0;
  for (;;) {
    const d = await gql(`query($after:String){ repository(owner:"acme",name:"api-gateway"){
      pullRequests(first:25,after:$after,orderBy:{field:UPDATED_AT,direction:DESC}){ pageInfo{hasNextPage endCursor}
        nodes{ id number state updatedAt mergeCommit{oid}
          commits(first:100){totalCount pageInfo{hasNextPage endCursor} nodes{commit{oid}}}
          reviews(first:50){totalCount pageInfo{hasNextPage endCursor} nodes{id}}
          comments(first:50){totalCount pageInfo{hasNextPage endCursor} nodes{id}} } } } }`, { after });
    const conn = d.repository.pullRequests;
    for (const pr of conn.nodes) {
      const seen = {};
      for (const k of Object.keys(NESTED)) {
        let c = pr[k];
        const ids = new Set(c.nodes.map((n) => (n.commit ? n.commit.oid : n.id)));
        while (c.pageInfo.hasNextPage) {
          nestedPages++;
          const q = `query($id:ID!,$after:String){ node(id:$id){ ... on PullRequest { ${NESTED[k]} } } }`;
          c = (await gql(q, { id: pr.id, after: c.pageInfo.endCursor })).node[k];
          for (const n of c.nodes) ids.add(n.commit ? n.commit.oid : n.id);
        }
        if (ids.size !== pr[k].totalCount) throw new Error(`PR ${pr.number} ${k}: paged ${ids.size} != totalCount ${pr[k].totalCount}`);
        seen[k] = ids.size;
      }
      got.set(pr.number, Object.assign({ state: pr.state, updatedAt: pr.updatedAt, mergeCommit: pr.mergeCommit && pr.mergeCommit.oid }, seen));
    }
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  if (got.size !== want.size) throw new Error(`PR count ${got.size} != truth ${want.size}`);
  for (const [n, w] of want) {
    const g = got.get(n);
    for (const k of ['state', 'updatedAt', 'mergeCommit', 'commits', 'reviews', 'comments']) {
      if (g[k] !== w[k]) throw new Error(`PR ${n} ${k}: graphql ${g[k]} != truth ${w[k]}`);
    }
  }
  if (nestedPages === 0) throw new Error('no nested page was needed: the data should exercise nested paging');
})().catch((e) => { console.error(e.message); process.exit(1); });
EOF

# ------------------------------------------------------------------ stats
admin GET /_sandbox/stats
check "stats count graphql, rest, rest_304, points, by path" is "b.graphql > 0 && b.rest > 0 && b.rest_304 >= 1 && b.graphql_points > 0 && b.by_path['GET /repos/{owner}/{repo}'] > 0 && b.faults.truncate === 1" true
admin POST /_sandbox/stats/reset
admin GET /_sandbox/stats
check "stats reset" is 'b.requests === 0 && b.graphql === 0' true

# ------------------------------------------------------------------ determinism
start_server twin --seed 7 --repos 5 --prs 40 --org acme
base="http://127.0.0.1:$port"
admin GET '/_sandbox/truth?repo=billing-service'
cp "$tmp/b" "$tmp/twin1.json"
admin GET '/_sandbox/truth?repo=billing-service'
cp "$tmp/b" "$tmp/twin2.json"
base="http://127.0.0.1:$main_port"
admin GET '/_sandbox/truth?repo=billing-service'
check "same seed: same data in two servers; stable across requests" is "const r = (f) => JSON.stringify(JSON.parse(fs.readFileSync(f)).repos); r(T + '/b') === r(T + '/twin1.json') && r(T + '/twin1.json') === r(T + '/twin2.json') && r(T + '/b').length > 1000" true
check "lazy generation: order of first use does not change data" is "const { Sandbox } = require('$here/lib/model'); const mk = () => new Sandbox({ seed: 3, repos: 2, prs: 30 }); const a = mk(); const b = mk(); const open = (x) => x.repos[0].prs.find((p) => p.state === 'OPEN').number; JSON.stringify(a.repos[0].deployments.map((d) => [d.id, d.sha])); a.mutate({ op: 'merge_pr', repo: a.repos[0].name, number: open(a) }); b.mutate({ op: 'merge_pr', repo: b.repos[0].name, number: open(b) }); const da = JSON.stringify(a.truth({}).repos.map((r) => [r.deployments, r.releases])); const db = JSON.stringify(b.truth({}).repos.map((r) => [r.deployments, r.releases])); da === db" true
check "different seed: different data" is "const { Sandbox } = require('$here/lib/model'); const t = (s) => JSON.stringify(new Sandbox({ seed: s, repos: 2, prs: 20 }).truth({}).repos); t(7) === t(7) && t(7) !== t(8)" true

# ------------------------------------------------------------------ shutdown
kill -TERM "$pid_twin"
stopped=0
for i in $(seq 1 30); do
	if ! kill -0 "$pid_twin" 2>/dev/null; then stopped=1; break; fi
	sleep 0.1
done
wait "$pid_twin" 2>/dev/null
st=$?
check "SIGTERM: clean exit 0 and port file removed" bash -c "[ $stopped = 1 ] && [ $st = 0 ] && [ ! -e '$tmp/twin.port' ]"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
