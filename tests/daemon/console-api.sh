#!/bin/bash
# The console's API remainders (issue 19, docs/console.md), with curl
# against a running daemon:
#  - POST /api/v1/ask/feedback: user and admin may, view may not (403);
#    the tenant is the token's (another tenant's answer is 404, and its
#    feedback is invisible); strict bodies (400 naming the problem); a
#    "not_helpful" verdict rates the learning memory 'bad', "helpful"
#    'good'; `ask feedback list [--json]` shows the rows.
#  - GET /api/v1/plugins: the loaded plugins with their declared fields;
#    a secret field is flagged and has no default; no secret value of an
#    integration appears.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
acme=$(wh_tenant acme)
other=$(wh_tenant other)
# a secret the plugins listing must never show (in a file, never on argv)
secret=plug-$(harness_random_hex 12)
orch_add acme sb sandbox "{\"repos\":1,\"token\":\"$secret\"}" >/dev/null
mem=$(wh_sql "INSERT INTO ai_learning_memory (tenant_id, question, sql, outcome)
	VALUES ($acme, 'how many PRs?', 'SELECT count(*) FROM q_pull_requests', 'ok')
	RETURNING id" | sed -n 1,1p)
omem=$(wh_sql "INSERT INTO ai_learning_memory (tenant_id, question, sql, outcome)
	VALUES ($other, 'theirs', 'SELECT 1', 'ok') RETURNING id" | sed -n 1,1p)
orch_daemon main "$WH_CONF"
user=$(orch_token acme user)
admin=$(orch_token acme admin)
view=$(orch_token acme view)
otheruser=$(orch_token other user)

# ---- ask feedback: RBAC
good='{"question":"how many PRs?","memory_id":'$mem',"verdict":"helpful"}'
orch_expect 401 POST /api/v1/ask/feedback "" "$good"
orch_expect 403 POST /api/v1/ask/feedback "$view" "$good"
grep -q '"forbidden"' "$WH_DIR/resp.json" || wh_fail "view: $(cat "$WH_DIR/resp.json")"
orch_expect 201 POST /api/v1/ask/feedback "$user" "$good"
python3 - "$WH_DIR/resp.json" "$mem" <<'PY' || wh_fail "helpful reply: $(cat "$WH_DIR/resp.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["id"] > 0 and d["verdict"] == "helpful", d
assert d["memory_id"] == int(sys.argv[2]) and d["memory_rating"] == "good", d
PY
[ "$(wh_sql "SELECT feedback FROM ai_learning_memory WHERE id = $mem")" = good ] ||
	wh_fail "helpful did not rate the memory good"
orch_expect 201 POST /api/v1/ask/feedback "$admin" \
	'{"question":"how many PRs?","memory_id":'$mem',"sql":"SELECT count(*) FROM q_pull_requests","verdict":"not_helpful","comment":"counts drafts too"}'
[ "$(wh_sql "SELECT feedback FROM ai_learning_memory WHERE id = $mem")" = bad ] ||
	wh_fail "not_helpful did not rate the memory bad"
# an answer without a memory id, named by its SQL only
orch_expect 201 POST /api/v1/ask/feedback "$user" \
	'{"question":"semantic one","sql":"SELECT 1","verdict":"not_helpful"}'

# ---- cross-tenant: another tenant's answer is unknown here, and the
# other tenant sees none of acme's feedback
orch_expect 404 POST /api/v1/ask/feedback "$user" \
	'{"question":"theirs","memory_id":'$omem',"verdict":"not_helpful"}'
grep -q "no answer of this tenant" "$WH_DIR/resp.json" || wh_fail "cross-tenant: $(cat "$WH_DIR/resp.json")"
[ "$(wh_sql "SELECT coalesce(feedback, 'none') FROM ai_learning_memory WHERE id = $omem")" = none ] ||
	wh_fail "acme's token rated another tenant's answer"
orch_expect 404 POST /api/v1/ask/feedback "$otheruser" "$good"
[ "$(wh_sql "SELECT count(*) FROM ask_feedback WHERE tenant_id = $acme")" = 3 ] ||
	wh_fail "acme should have 3 feedback rows: $(wh_sql "SELECT * FROM ask_feedback")"
[ "$(wh_sql "SELECT count(*) FROM ask_feedback WHERE tenant_id = $other")" = 0 ] ||
	wh_fail "the other tenant got rows"
[ "$(wh_sql "SELECT actor FROM ask_feedback WHERE comment = 'counts drafts too'")" != "" ] ||
	wh_fail "no actor recorded"
# row-level security, forced: the app role sees only the tenant it sets
[ "$(wh_sql "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'ask_feedback'")" = t ] ||
	wh_fail "ask_feedback lacks forced row-level security"
[ "$(wh_app_sql "SET app.tenant_id = '$other'; SELECT count(*) FROM ask_feedback" | tail -1)" = 0 ] ||
	wh_fail "the app role sees acme's feedback as tenant other"
[ "$(wh_app_sql "SET app.tenant_id = '$acme'; SELECT count(*) FROM ask_feedback" | tail -1)" = 3 ] ||
	wh_fail "the app role does not see acme's feedback as acme"

# ---- bad bodies: 400 with a message naming the problem
bad() { # bad BODY WORDS
	orch_expect 400 POST /api/v1/ask/feedback "$user" "$1"
	grep -q "$2" "$WH_DIR/resp.json" || wh_fail "body $1: message lacks '$2': $(cat "$WH_DIR/resp.json")"
}
bad '' 'JSON object body is required'
bad '[1]' 'not a JSON'
bad '{"question":"q","memory_id":1,"verdict":"helpful"} x' 'bad_json'
bad '{"memory_id":'$mem',"verdict":"helpful"}' "'question' is required"
bad '{"question":"q","memory_id":'$mem'}' "'verdict' is required"
bad '{"question":"q","memory_id":'$mem',"verdict":"meh"}' 'neither'
bad '{"question":"q","memory_id":"7","verdict":"helpful"}' 'positive integer'
bad '{"question":"q","memory_id":-3,"verdict":"helpful"}' 'positive integer'
bad '{"question":"q","verdict":"helpful"}' 'say which answer'
bad '{"question":"","memory_id":'$mem',"verdict":"helpful"}' "'question' must be a string"
bad '{"question":"q","memory_id":'$mem',"verdict":"helpful","rating":5}' "unknown field 'rating'"
bad '{"question":"q","memory_id":'$mem',"verdict":"helpful","comment":7}' "'comment' must be a string"
long=$(python3 -c 'print("x" * 2001)')
bad '{"question":"'$long'","memory_id":'$mem',"verdict":"helpful"}' '1 to 2000 bytes'
orch_expect 405 GET /api/v1/ask/feedback "$user"

# ---- the CLI list
ph ask feedback list --tenant acme --json > "$WH_DIR/fb.json"
python3 - "$WH_DIR/fb.json" <<'PY' || wh_fail "ask feedback list --json: $(cat "$WH_DIR/fb.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 3, rows
assert rows[0]["question"] == "semantic one" and rows[0]["memory_id"] is None, rows[0]
assert rows[1]["comment"] == "counts drafts too" and rows[1]["verdict"] == "not_helpful", rows[1]
assert all(r["actor"].startswith("token:") for r in rows), rows
PY
ph ask feedback list --tenant acme > "$WH_DIR/fb.txt"
grep -q 'counts drafts too' "$WH_DIR/fb.txt" || wh_fail "ask feedback list: $(cat "$WH_DIR/fb.txt")"
[ "$(ph ask feedback list --tenant other)" = "no feedback yet" ] || wh_fail "other tenant's list is not empty"
wh_expect_fail "$WH_DIR/lim.err" "$WH_BIN" -c "$WH_CONF" ask feedback list --tenant acme --limit 0
grep -q 'from 1 to 1000' "$WH_DIR/lim.err" || wh_fail "--limit 0: $(cat "$WH_DIR/lim.err")"
ph ask feedback --help | grep -q 'not helpful' || wh_fail "ask feedback --help"

# ---- plugins: declared fields, never a secret value; any role may read
orch_expect 401 GET /api/v1/plugins ""
orch_expect 200 GET /api/v1/plugins "$view"
! grep -q "$secret" "$WH_DIR/resp.json" || wh_fail "GET /plugins shows a secret value"
python3 - "$WH_DIR/resp.json" <<'PY' || wh_fail "GET /plugins: $(head -c 2000 "$WH_DIR/resp.json")"
import json, sys
ps = {p["name"]: p for p in json.load(open(sys.argv[1]))["plugins"]}
assert {"sandbox", "orchtest"} <= set(ps), ps.keys()
sb = ps["sandbox"]
assert sb["kind"] == "source" and sb["version"], sb
f = {x["name"]: x for x in sb["fields"]}
assert f["token"]["secret"] is True and f["token"]["type"] == "secret", f["token"]
assert f["token"]["default"] is None, f["token"]
assert f["repos"]["type"] == "int" and f["repos"]["secret"] is False, f["repos"]
assert all(set(x) >= {"name", "type", "required", "secret", "default", "help"} for x in f.values())
assert any(x["default"] is not None for x in f.values()), "no default shown at all"
PY
# the fields equal what `pulse-host plugins show` declares
ph plugins show sandbox > "$WH_DIR/show.txt"
for n in $(python3 -c 'import json,sys; [print(x["name"]) for p in json.load(open(sys.argv[1]))["plugins"] if p["name"] == "sandbox" for x in p["fields"]]' "$WH_DIR/resp.json"); do
	grep -qw -- "$n" "$WH_DIR/show.txt" || wh_fail "field $n is not in plugins show sandbox"
done

# ---- the embedded files: an ETag, revalidated (304, no body); the API
# replies stay no-store
curl -fsS -D "$WH_DIR/h1.txt" -o "$WH_DIR/app.mjs" "$ORCH_URL/app.mjs"
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(".*"\)\r*$/\1/p' "$WH_DIR/h1.txt")
[ -n "$etag" ] || wh_fail "GET /app.mjs has no ETag: $(cat "$WH_DIR/h1.txt")"
grep -ci '^cache-control: no-cache' "$WH_DIR/h1.txt" >/dev/null ||
	wh_fail "GET /app.mjs is not Cache-Control: no-cache: $(cat "$WH_DIR/h1.txt")"
cmp -s "$WH_DIR/app.mjs" "$abs_top_srcdir/host/server/www/app.mjs" || wh_fail "GET /app.mjs is not the embedded file"
st=$(curl -sS -o "$WH_DIR/304.body" -w '%{http_code}' -H "If-None-Match: $etag" "$ORCH_URL/app.mjs")
[ "$st" = 304 ] && [ ! -s "$WH_DIR/304.body" ] || wh_fail "If-None-Match $etag: status $st, $(wc -c < "$WH_DIR/304.body") bytes"
st=$(curl -sS -o "$WH_DIR/200.body" -w '%{http_code}' -H 'If-None-Match: "0-0"' "$ORCH_URL/app.mjs")
[ "$st" = 200 ] && cmp -s "$WH_DIR/200.body" "$WH_DIR/app.mjs" || wh_fail "a stale ETag: status $st"
[ "$(curl -fsS -D - -o /dev/null "$ORCH_URL/style.css" | sed -n 's/^[Ee][Tt][Aa][Gg]: *\(".*"\)\r*$/\1/p')" != "$etag" ] ||
	wh_fail "two files share the ETag $etag"
curl -sS -D "$WH_DIR/h2.txt" -o /dev/null -H "Authorization: Bearer $view" "$ORCH_URL/api/v1/me"
grep -ci '^cache-control: no-store' "$WH_DIR/h2.txt" >/dev/null || wh_fail "GET /api/v1/me is not no-store: $(cat "$WH_DIR/h2.txt")"
grep -ci '^etag:' "$WH_DIR/h2.txt" >/dev/null && wh_fail "GET /api/v1/me has an ETag"
orch_stop main
echo "console-api: ok"
