#!/bin/bash
# The optional read replica (analytics_database_url): a real streaming
# replica made with `pg_basebackup -R` from a private primary. Proof of
# where a read went: replay on the replica is paused, then a row is added
# on the primary; DORA, ask (SQL and the LLM path) and search (acme's
# vectors are deleted on the primary only) do not see it while they read
# the replica. The replica is then stopped: the same commands
# fall back to the primary (they see the row) and say so with a WARN.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
RP_DIR=$(harness_mktemp)
rp_cleanup() { harness_destroy "$RP_DIR" > /dev/null 2>&1 || :; }
trap rp_cleanup EXIT
pg_start "$RP_DIR/pri" || { echo "FAIL: the private primary did not start" >&2; exit 1; }
printf 'host replication all 127.0.0.1/32 scram-sha-256\n' >> "$RP_DIR/pri/data/pg_hba.conf"
pg_psql "$RP_DIR/pri" -c "SELECT pg_reload_conf()" > /dev/null
# the ask tests' database, on this primary
export PULSE_TEST_PG_ADMIN_URL=$(pg_admin_url "$RP_DIR/pri")
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
ask_setup
ask_llm
trap 'oai_stop; wh_cleanup; rp_cleanup' EXIT

# the replica: a base backup of the primary, streaming (-R writes
# primary_conninfo and standby.signal)
mkdir -p "$RP_DIR/rep"
pg_user=$(if [ "$(id -u)" -eq 0 ]; then echo "${PULSE_TEST_PG_USER:-pulsetest}"; fi)
[ -z "$pg_user" ] || chown "$pg_user:" "$RP_DIR/rep"
chmod 0700 "$RP_DIR/rep"
printf '%s\n' "$RP_DIR/rep/s" > "$RP_DIR/rep/sockdir"
cp "$RP_DIR/pri/admin_password" "$RP_DIR/rep/admin_password"
( cd "$RP_DIR/rep" && PGPASSWORD=$(cat "$RP_DIR/pri/admin_password") \
	${pg_user:+setpriv --reuid="$pg_user" --regid="$pg_user" --clear-groups --} \
	"$(_pg_bindir)/pg_basebackup" -h 127.0.0.1 -p "$(pg_port "$RP_DIR/pri")" -U postgres \
	-D "$RP_DIR/rep/data" -R -X stream -c fast ) > "$RP_DIR/basebackup.log" 2>&1 ||
	wh_fail "pg_basebackup failed: $(cat "$RP_DIR/basebackup.log")"
[ -f "$RP_DIR/rep/data/standby.signal" ] || wh_fail "pg_basebackup -R wrote no standby.signal"
pg_start "$RP_DIR/rep" || wh_fail "the replica did not start"
[ "$(pg_psql "$RP_DIR/rep" -At -c "SELECT pg_is_in_recovery()")" = t ] || wh_fail "the replica is not in recovery"
wh_wait_for 30 "the replica streaming" sh -c \
	"[ \"\$(psql -X -At '$WH_ADMIN' -c \"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'\")\" = 1 ]"
REP_URL=$(printf '%s' "$WH_APP_URL" | sed "s/@127.0.0.1:[0-9]*\//@127.0.0.1:$(pg_port "$RP_DIR/rep")\//")
# the fixture and the integrations have reached the replica
wh_wait_for 30 "the fixture on the replica" sh -c \
	"[ \"\$(psql -X -At '$REP_URL' -c 'SELECT 1' 2>/dev/null)\" = 1 ]"
sleep 1
pg_psql "$RP_DIR/rep" -c "SELECT pg_wal_replay_pause()" > /dev/null

# a row only the primary has: one more production deployment and PR
wh_sql "INSERT INTO deployments (tenant_id, integration_id, external_id, repository_external_id, source, environment, is_production, sha, ref, status, created_at, finished_at)
	SELECT tenant_id, integration_id, 'deployment:primary-only', 'acme/web', 'deployment', 'production', true, 'p1p1p1', 'main', 'success', '2026-11-20 11:00Z', '2026-11-20 12:00Z'
	  FROM deployments WHERE tenant_id = $TA LIMIT 1;
	INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, title, state, author, created_at)
	SELECT tenant_id, integration_id, 'PR_primary_only', 'acme/web', 9, 'Primary only', 'OPEN', 'erin', '2026-11-21Z'
	  FROM prs WHERE tenant_id = $TA LIMIT 1" > /dev/null
# and acme's vectors removed on the primary only: search finds nothing there
nvec=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $TA")
[ "$nvec" -gt 0 ] || wh_fail "acme has no vectors to search"
wh_sql "DELETE FROM pgvectors WHERE tenant_id = $TA; UPDATE pgvectors_generation SET generation = generation + 1 WHERE tenant_id = $TA" > /dev/null

ask_conf "analytics_database_url = \"$REP_URL\";"
ask_script '^Classify: ' '{"intent": "structured", "confidence": 0.9}'
ask_script '^Question: How many pull requests are there\?$' "$(ask_sql_reply 'SELECT count(*) AS n FROM q_pull_requests')"
dora_n() { jq -r '.. | objects | select(has("deployments")) | .deployments' "$1" | sed -n 1,1p; }

# replica up: none of the commands sees the primary-only rows
ph dora --tenant acme --from 2026-11-01 --to 2026-12-01 --json > "$WH_DIR/d1.json" 2> "$WH_DIR/d1.err"
ph ask --tenant acme --sql "SELECT count(*) AS n FROM q_pull_requests" --json > "$WH_DIR/s1.json" 2> "$WH_DIR/s1.err"
ph ask --tenant acme "How many pull requests are there?" --json > "$WH_DIR/q1.json" 2> "$WH_DIR/q1.err"
ph search --tenant acme "billing" --json > "$WH_DIR/v1.json" 2> "$WH_DIR/v1.err" ||
	wh_fail "search on the replica: $(cat "$WH_DIR/v1.err")"
[ "$(jq '.hits | length' "$WH_DIR/v1.json")" -gt 0 ] ||
	wh_fail "search did not read the replica's vectors: $(cat "$WH_DIR/v1.json")"
[ "$(jq -r '.rows[0].n' "$WH_DIR/s1.json")" = 8 ] || wh_fail "ask --sql did not read the replica: $(cat "$WH_DIR/s1.json")"
[ "$(jq -r '.rows[0].n' "$WH_DIR/q1.json")/$(jq -r .read_from "$WH_DIR/q1.json")" = 8/replica ] ||
	wh_fail "ask did not read the replica: $(cat "$WH_DIR/q1.json")"
[ "$(dora_n "$WH_DIR/d1.json")" = 5 ] || wh_fail "dora did not read the replica: $(cat "$WH_DIR/d1.json")"
grep -qi warn "$WH_DIR/d1.err" "$WH_DIR/s1.err" "$WH_DIR/q1.err" "$WH_DIR/v1.err" && wh_fail "a WARN while the replica is up"
# and the primary really has them
[ "$(wh_sql "SELECT count(*) FROM prs WHERE tenant_id = $TA AND deleted_at IS NULL")" = 9 ] ||
	wh_fail "the primary lacks the new PR"

# the replica stops mid-run: every command falls back, with a WARN
pg_stop "$RP_DIR/rep"
ph dora --tenant acme --from 2026-11-01 --to 2026-12-01 --json > "$WH_DIR/d2.json" 2> "$WH_DIR/d2.err"
ph ask --tenant acme --sql "SELECT count(*) AS n FROM q_pull_requests" --json > "$WH_DIR/s2.json" 2> "$WH_DIR/s2.err"
ph ask --tenant acme "How many pull requests are there?" --json > "$WH_DIR/q2.json" 2> "$WH_DIR/q2.err"
ph search --tenant acme "billing" --json > "$WH_DIR/v2.json" 2> "$WH_DIR/v2.err" ||
	wh_fail "search after the replica stopped: $(cat "$WH_DIR/v2.err")"
[ "$(jq '.hits | length' "$WH_DIR/v2.json")" = 0 ] ||
	wh_fail "search did not fall back to the primary: $(cat "$WH_DIR/v2.json")"
[ "$(dora_n "$WH_DIR/d2.json")" = 6 ] || wh_fail "dora did not fall back: $(cat "$WH_DIR/d2.json" "$WH_DIR/d2.err")"
[ "$(jq -r '.rows[0].n' "$WH_DIR/s2.json")" = 9 ] || wh_fail "ask --sql did not fall back: $(cat "$WH_DIR/s2.json" "$WH_DIR/s2.err")"
[ "$(jq -r '.rows[0].n' "$WH_DIR/q2.json")/$(jq -r .read_from "$WH_DIR/q2.json")" = 9/primary ] ||
	wh_fail "ask did not fall back: $(cat "$WH_DIR/q2.json" "$WH_DIR/q2.err")"
for f in d2 s2 q2 v2; do
	grep -qi 'warn.*analytics replica is unavailable' "$WH_DIR/$f.err" ||
		wh_fail "no WARN on fallback ($f): $(cat "$WH_DIR/$f.err")"
done
grep -q "$(cat "$RP_DIR/pri/admin_password")" "$WH_DIR"/*.err && wh_fail "a password in the output"
echo PASS
