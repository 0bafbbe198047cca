#!/bin/bash
# Tenants and integrations: secrets are sealed and never stored, shown or
# logged in plain text; bad settings are refused naming the field, and
# nothing is inserted.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
TOKEN=tok-$(harness_random_hex 20)
LOG=$WH_DIR/stderr.log

ph tenant add acme 2>>"$LOG" | grep -q "tenant 1 added: acme" || wh_fail "tenant add"
wh_expect_fail "$WH_DIR/dup.err" ph tenant add acme
wh_contains "$WH_DIR/dup.err" "tenant 'acme' already exists"
ph tenant list --json 2>>"$LOG" | grep -q '"name":"acme"' || wh_fail "tenant list --json"
# --json: the created tenant as an object (what scripts read ids from)
ph tenant add beta --json > "$WH_DIR/tenant.json" 2>>"$LOG" || wh_fail "tenant add --json"
[ "$(harness_json_get name < "$WH_DIR/tenant.json")" = beta ] || wh_fail "tenant add --json: $(cat "$WH_DIR/tenant.json")"
[ "$(harness_json_get id < "$WH_DIR/tenant.json")" = \
	"$(wh_sql "SELECT id FROM tenants WHERE name = 'beta'")" ] ||
	wh_fail "tenant add --json id is not the new tenant's: $(cat "$WH_DIR/tenant.json")"

cat > "$WH_DIR/ok.json" <<JSON
{ "repos": 1, "prs_per_repo": 3, "token": "$TOKEN", "since": "2025-02-01",
  "repo_filter": "^repo-[0-9]+$", "api_url": "https://example.invalid/api" }
JSON
ph integration add --tenant acme --plugin sandbox --config "$WH_DIR/ok.json" \
	--name first --json > "$WH_DIR/add.json" 2>>"$LOG"
ID=$(harness_json_get id < "$WH_DIR/add.json") || wh_fail "no id in: $(cat "$WH_DIR/add.json")"
[ "$ID" = "$(wh_sql "SELECT id FROM integrations WHERE name = 'first'")" ] ||
	wh_fail "integration add --json id is not the new integration's: $(cat "$WH_DIR/add.json")"
jq -e '.name == "first" and .plugin == "sandbox" and .type == "Data" and .secrets_encrypted == true' \
	"$WH_DIR/add.json" >/dev/null || wh_fail "integration add --json: $(cat "$WH_DIR/add.json")"
[ "$(harness_json_get tenant_id < "$WH_DIR/add.json")" = \
	"$(wh_sql "SELECT id FROM tenants WHERE name = 'acme'")" ] || wh_fail "integration add --json: wrong tenant_id"

# the key file: created 0600, 32 bytes
[ "$(stat -c %a "$WH_DIR/secret.key")" = 600 ] || wh_fail "key file mode $(stat -c %a "$WH_DIR/secret.key")"
[ "$(stat -c %s "$WH_DIR/secret.key")" = 32 ] || wh_fail "key file size"
# settings keep what was given, minus the secret; the token is nowhere in
# the database, in any form pg_dump shows
wh_sql "SELECT settings FROM integrations WHERE id = $ID" | grep -q '"repos": 1' || wh_fail "settings not stored"
wh_sql "SELECT settings::text FROM integrations WHERE id = $ID" | grep -q token && wh_fail "token key in settings"
[ "$(wh_sql "SELECT credentials IS NOT NULL FROM integrations WHERE id = $ID")" = t ] || wh_fail "no credentials"
n=$(pg_dump "$WH_ADMIN" | grep -c -- "$TOKEN" || :)
[ "$n" = 0 ] || wh_fail "token found $n times in pg_dump"
[ "$(wh_sql "SELECT count(*) FROM etl_jobs WHERE integration_id = $ID")" = 1 ] || wh_fail "no etl_jobs row"

# show: secrets as <set>/<unset>, never the value
ph integration show "$ID" > "$WH_DIR/show.out" 2>>"$LOG"
wh_contains "$WH_DIR/show.out" '"token":"<set>"'
grep -qF -- "$TOKEN" "$WH_DIR/show.out" && wh_fail "show printed the token"
ph integration list --json 2>>"$LOG" | grep -q '"has_credentials":true' || wh_fail "list --json"

# the job decrypts it: "bad-token" makes the sandbox fail like a 401
printf 'bad-token\n' | ph integration set-secret "$ID" token > "$WH_DIR/ss.out" 2>>"$LOG"
wh_contains "$WH_DIR/ss.out" "secret 'token' set"
wh_expect_fail "$WH_DIR/run.err" ph job run "$ID"
wh_contains "$WH_DIR/run.err" "job run: integration $ID (sandbox) failed: token rejected (401)"
# issue 11 item 13: the hint names this integration, not id 0
wh_contains "$WH_DIR/run.err" "pulse-host integration set-secret $ID token"
[ "$(wh_sql "SELECT state FROM etl_jobs WHERE integration_id = $ID")" = ERROR ] || wh_fail "job state after failure"
printf '%s\n' "$TOKEN" | ph integration set-secret "$ID" token >/dev/null 2>>"$LOG"
ph job run --quiet "$ID" > "$WH_DIR/run.out" 2>>"$LOG" || { cat "$WH_DIR/run.out"; wh_fail "job run with a good token"; }
# set-secret refuses plain fields and an empty stdin
wh_expect_fail "$WH_DIR/ss2.err" ph integration set-secret "$ID" repos < /dev/null
wh_contains "$WH_DIR/ss2.err" "'repos' is not a secret field"
wh_expect_fail "$WH_DIR/ss3.err" ph integration set-secret "$ID" token < /dev/null
wh_contains "$WH_DIR/ss3.err" "no secret read from standard input"

# another key: a clear error, not garbage
head -c 32 /dev/urandom > "$WH_DIR/other.key"
chmod 600 "$WH_DIR/other.key"
sed "s|$WH_DIR/secret.key|$WH_DIR/other.key|" "$WH_CONF" > "$WH_DIR/other.conf"
if "$WH_BIN" -c "$WH_DIR/other.conf" job run "$ID" > /dev/null 2> "$WH_DIR/key.err"; then
	wh_fail "job run decrypted with another key"
fi
wh_contains "$WH_DIR/key.err" "cannot decrypt the credentials of integration $ID"
"$WH_BIN" -c "$WH_DIR/other.conf" integration show "$ID" | grep -q '"token":"<unreadable>"' ||
	wh_fail "show with another key"
# a readable key file is refused
chmod 644 "$WH_DIR/other.key"
"$WH_BIN" -c "$WH_DIR/other.conf" job run "$ID" > /dev/null 2> "$WH_DIR/mode.err" && wh_fail "0644 key accepted"
wh_contains "$WH_DIR/mode.err" "chmod 600"
# a blob moved to another integration does not open
# (the human form of integration add, checked once)
ph integration add --tenant acme --plugin sandbox --config "$WH_DIR/ok.json" --name second \
	> "$WH_DIR/add.out" 2>>"$LOG"
ID2=$(wh_sql "SELECT id FROM integrations WHERE name = 'second'")
wh_contains "$WH_DIR/add.out" "integration $ID2 added: tenant 1, plugin sandbox, name second, type Data, secrets encrypted"
wh_sql "UPDATE integrations SET credentials = (SELECT credentials FROM integrations WHERE id = $ID) WHERE id = $ID2"
wh_expect_fail "$WH_DIR/moved.err" ph job run "$ID2"
wh_contains "$WH_DIR/moved.err" "cannot decrypt the credentials of integration $ID2"

# bad input: refused with the field (and position) named; nothing inserted
before=$(wh_sql "SELECT count(*) FROM integrations")
bad() { # bad NAME JSON EXPECTED
	printf '%s' "$2" > "$WH_DIR/$1.json"
	wh_expect_fail "$WH_DIR/$1.err" ph integration add --tenant acme --plugin sandbox \
		--config "$WH_DIR/$1.json" --name "$1"
	wh_contains "$WH_DIR/$1.err" "$3"
}
bad badjson $'{\n  "repos": 2,\n  "seed" 3\n}' "badjson.json:3:"
bad unknown '{"repoz": 2}' "unknown field 'repoz' for plugin 'sandbox'; valid fields: org, repos,"
bad wrongtype '{"since": 20250131}' "field 'since' must be a date (ISO-8601, e.g. 2025-01-31), got number"
bad wrongint '{"repos": "two"}' "field 'repos' must be an integer, got string"
bad baddate '{"since": "31/01/2025"}' "field 'since' must be a date"
bad badregex '{"repo_filter": "repo-(["}' "field 'repo_filter' is not a valid POSIX extended regular expression"
bad regexcost '{"repo_filter": "repo-[0-9]{1,5000}"}' "field 'repo_filter' is a regular expression whose repetitions expand to more than 1000 parts when compiled"
bad badurl '{"api_url": "ftp://x"}' "field 'api_url' must be an http(s) URL"
bad notobject '[1, 2]' "must be a JSON object"
# Declared ranges (ABI 1.1) are the host's: refused before the plugin runs.
bad range '{"page_size": 0}' "field 'page_size' must be an integer between 1 and 1000, got 0"
bad negative '{"repos": -5}' "field 'repos' must be an integer between 0 and 10000, got -5"
after=$(wh_sql "SELECT count(*) FROM integrations")
[ "$before" = "$after" ] || wh_fail "a refused integration was inserted ($before -> $after)"

# (a missing required field: the sandbox has none; tests/db/test-warehouse
# covers it with a plugin table of its own)

# nothing on stderr ever carried the token
for f in "$LOG" "$WH_DIR"/*.err; do
	grep -qF -- "$TOKEN" "$f" && wh_fail "token in $f"
done
echo "PASS: secrets sealed and hidden, bad settings refused"
