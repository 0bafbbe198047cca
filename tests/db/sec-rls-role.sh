#!/bin/bash
# Hardening (issue 11) that needs the database:
#  2. run, worker, job run and every other command that serves tenants
#     (and the analytics replica's URL) refuse a role that RLS does not restrict
#     (superuser, BYPASSRLS, owner of a table whose RLS is not FORCEd),
#     naming the role and what to do; the migrated app role is accepted.
#  7. connect errors and config show never print a password, in any form.
# 13. an all-digit tenant name is refused.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
ph tenant add acme >/dev/null

# ---- 2. the superuser URL (what migrate uses) is refused by run
PULSE_HOST_DATABASE_URL=$WH_ADMIN wh_expect_fail "$WH_DIR/su.err" ph run --listen 127.0.0.1:1
wh_contains "$WH_DIR/su.err" "run: refusing to serve tenants as database role"
wh_contains "$WH_DIR/su.err" "a superuser"
wh_contains "$WH_DIR/su.err" "pulse-host migrate --app-role"
PULSE_HOST_DATABASE_URL=$WH_ADMIN wh_expect_fail "$WH_DIR/su-job.err" ph job run 1
wh_contains "$WH_DIR/su-job.err" "job run: refusing to serve tenants"

# ---- 2. so does every other command that serves tenants
for cmd in "tenant list" "tenant add other" "integration list" "job list" \
	   "stats --tenant acme" "dora --tenant acme" "mapping list --integration 1"; do
	# shellcheck disable=SC2086
	PULSE_HOST_DATABASE_URL=$WH_ADMIN wh_expect_fail "$WH_DIR/su-cmd.err" ph $cmd
	wh_contains "$WH_DIR/su-cmd.err" "refusing to serve tenants as database role"
done
[ "$(wh_sql "SELECT count(*) FROM tenants WHERE name = 'other'")" = 0 ] ||
	wh_fail "tenant add wrote through a superuser connection"
# and the analytics replica's URL (dora, search and ask read through it)
cp "$WH_CONF" "$WH_DIR/replica.conf"
printf 'analytics_database_url = "%s";\n' "$WH_ADMIN" >> "$WH_DIR/replica.conf"
wh_expect_fail "$WH_DIR/su-replica.err" "$WH_BIN" -c "$WH_DIR/replica.conf" dora --tenant acme
wh_contains "$WH_DIR/su-replica.err" "analytics_database_url: refusing to serve tenants"
# the app role is served as before
ph tenant list > /dev/null
# doctor reports the role instead of refusing
PULSE_HOST_DATABASE_URL=$WH_ADMIN ph doctor > "$WH_DIR/doc-su.out" 2>&1 || :
grep -E "^fail +database role +refusing to serve tenants" "$WH_DIR/doc-su.out" > /dev/null ||
	{ cat "$WH_DIR/doc-su.out"; wh_fail "doctor did not report the superuser role"; }

# ---- 2. BYPASSRLS: run, job run and worker refuse it
wh_sql "ALTER ROLE $WH_ROLE BYPASSRLS"
wh_expect_fail "$WH_DIR/by.err" ph run --listen 127.0.0.1:1
wh_contains "$WH_DIR/by.err" "database role '$WH_ROLE': it is BYPASSRLS"
wh_expect_fail "$WH_DIR/by-job.err" ph job run 1
wh_contains "$WH_DIR/by-job.err" "it is BYPASSRLS"
PULSE_HOST_BROKER_URL=amqp://guest:guest@127.0.0.1:1/%2f \
	wh_expect_fail "$WH_DIR/by-worker.err" ph worker
wh_contains "$WH_DIR/by-worker.err" "pulse-host worker: refusing to serve tenants"
wh_sql "ALTER ROLE $WH_ROLE NOBYPASSRLS"

# ---- 2. owning a table whose RLS is not FORCEd
wh_sql "ALTER TABLE integrations OWNER TO $WH_ROLE; ALTER TABLE integrations NO FORCE ROW LEVEL SECURITY"
wh_expect_fail "$WH_DIR/own.err" ph job run 1
wh_contains "$WH_DIR/own.err" "owns tables whose row-level security is not FORCEd (integrations)"
wh_sql "ALTER TABLE integrations FORCE ROW LEVEL SECURITY"
# owned but FORCEd: RLS applies to the owner, so it is accepted
wh_expect_fail "$WH_DIR/ok.err" ph job run 999999
if grep -q "refusing to serve" "$WH_DIR/ok.err"; then
	wh_fail "the app role was refused: $(cat "$WH_DIR/ok.err")"
fi

# ---- 13. all-digit tenant names
wh_expect_fail "$WH_DIR/num.err" ph tenant add 1
wh_contains "$WH_DIR/num.err" "all digits"
[ "$(wh_sql "SELECT count(*) FROM tenants WHERE name = '1'")" = 0 ] ||
	wh_fail "tenant '1' was created"

# ---- 7. passwords never printed: connect errors and config show
for url in "postgresql://u@127.0.0.1:1/db?password=s3cretQ&sslmode=disable" \
	   "postgresql://u:s3cretQ@127.0.0.1:1/db" \
	   "host=127.0.0.1 port=1 dbname=db user=u password=s3cretQ" \
	   "host=127.0.0.1 port=1 dbname=db user=u password='s3cretQ x'"; do
	PULSE_HOST_DATABASE_URL=$url wh_expect_fail "$WH_DIR/conn.err" ph tenant list
	wh_contains "$WH_DIR/conn.err" "cannot connect to database"
	if grep -q s3cretQ "$WH_DIR/conn.err"; then wh_fail "password printed: $(cat "$WH_DIR/conn.err")"; fi
	PULSE_HOST_DATABASE_URL=$url ph config show > "$WH_DIR/show.out"
	wh_contains "$WH_DIR/show.out" "***"
	if grep -q s3cretQ "$WH_DIR/show.out"; then wh_fail "config show printed: $(cat "$WH_DIR/show.out")"; fi
done
echo "ok"
