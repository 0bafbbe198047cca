#!/bin/bash
# Execution of guarded SQL: tenant scope, the query role's rights, the
# schema card, and each limit (rows, bytes, cost, time) triggered and
# reported clearly.
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
ask_setup

j() { jq -r "$1"; }

# the query role: NOBYPASSRLS, no login, owns nothing, SELECT on q_* only
[ "$(wh_sql "SELECT rolbypassrls OR rolsuper OR rolcanlogin FROM pg_roles WHERE rolname = 'pulse_query'")" = f ] ||
	wh_fail "pulse_query may bypass RLS, is a superuser or may log in"
[ "$(wh_sql "SELECT count(*) FROM pg_class WHERE relowner = 'pulse_query'::regrole")" = 0 ] ||
	wh_fail "pulse_query owns relations"
[ "$(wh_sql "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'pulse_query' AND (table_schema <> 'ask' OR table_name NOT LIKE 'q\_%' OR privilege_type <> 'SELECT')")" = 0 ] ||
	wh_fail "pulse_query has rights beyond SELECT on ask.q_*"
[ "$(wh_sql "SELECT has_table_privilege('pulse_query', 'prs', 'SELECT')")" = f ] ||
	wh_fail "pulse_query may read a base table"
[ "$(wh_sql "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = 'ask'::regnamespace AND c.relkind = 'v' AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NULL")" = 0 ] ||
	wh_fail "a q_* column has no comment"
[ "$(wh_sql "SELECT count(*) FROM pg_class WHERE relnamespace = 'ask'::regnamespace AND relkind = 'v'")" = 11 ] ||
	wh_fail "expected the 11 q_* views"

# a plain query: tenant acme's rows only
out=$(ph ask --tenant acme --sql "SELECT count(*) AS n FROM q_pull_requests" --json)
[ "$(printf '%s' "$out" | j '.rows[0].n')" = 8 ] || wh_fail "expected 8 PRs of acme: $out"
out=$(ph ask --tenant bravo --sql "SELECT count(*) AS n FROM q_pull_requests" --json)
[ "$(printf '%s' "$out" | j '.rows[0].n')" = 1 ] || wh_fail "expected 1 PR of bravo: $out"
out=$(ph ask --tenant acme --sql "SELECT title FROM q_pull_requests WHERE repository = 'secret-b/vault' OR pr_id = 'PR_b1'" --json)
[ "$(printf '%s' "$out" | j '.row_count')" = 0 ] || wh_fail "acme read bravo's rows: $out"
printf '%s' "$out" | j .sql | grep -q '^SELECT \* FROM (' || wh_fail "the SQL run is not wrapped: $out"
printf '%s' "$out" | j .sql | grep -q ') q LIMIT 1000$' || wh_fail "no row cap in the SQL run: $out"
[ -n "$(printf '%s' "$out" | j '.fingerprint // empty')" ] || wh_fail "no fingerprint: $out"

# text output
ph ask --tenant acme --sql "SELECT state, count(*) AS n FROM q_pull_requests GROUP BY 1 ORDER BY 1" > "$WH_DIR/text.out"
wh_contains "$WH_DIR/text.out" "MERGED	4"
wh_contains "$WH_DIR/text.out" "(3 rows)"

# DORA through its q_ function, under RLS
out=$(ph ask --tenant acme --sql "SELECT deployments FROM q_dora_deployment_frequency('2026-11-01', '2026-12-01')" --json)
[ "$(printf '%s' "$out" | j '.rows[0].deployments')" = 5 ] || wh_fail "expected 5 production deployments: $out"

# the schema card: views, types, comments, relations, sampled codes; no free text
ph ask --tenant acme --card > "$WH_DIR/card.txt"
wh_contains "$WH_DIR/card.txt" "q_pull_requests -- Pull requests, one row each."
wh_contains "$WH_DIR/card.txt" "state text -- OPEN, CLOSED (without merge) or MERGED. (values: 'CLOSED', 'MERGED', 'OPEN')"
wh_contains "$WH_DIR/card.txt" "q_reviews.pr_id = q_pull_requests.pr_id"
wh_contains "$WH_DIR/card.txt" "q_dora_lead_time("
grep -q "billing export\|Add billing\|SECRET-B" "$WH_DIR/card.txt" && wh_fail "free text or another tenant in the card"

# row cap
ask_conf 'ask = { max_rows = 3; timeout_ms = 700; max_bytes = 2048; max_cost = 100000; };'
out=$(ph ask --tenant acme --sql "SELECT pr_id FROM q_pull_requests ORDER BY pr_id" --json)
[ "$(printf '%s' "$out" | j '.row_count')" = 3 ] || wh_fail "row cap not applied: $out"
[ "$(printf '%s' "$out" | j '.row_limit_reached')" = true ] || wh_fail "row cap not reported: $out"
ph ask --tenant acme --sql "SELECT pr_id FROM q_pull_requests" > "$WH_DIR/cap.out"
wh_contains "$WH_DIR/cap.out" "the row limit ask.max_rows was reached"

# byte cap
wh_expect_fail "$WH_DIR/bytes.err" ph ask --tenant acme --sql "SELECT repeat('x', 1500) AS pad FROM q_pull_requests"
wh_contains "$WH_DIR/bytes.err" "larger than 2048 bytes (ask.max_bytes)"

# cost cap: a cartesian explosion never starts
ask_bulk
wh_expect_fail "$WH_DIR/cost.err" ph ask --tenant acme --sql "SELECT count(*) FROM q_commits a, q_commits b, q_commits c"
wh_contains "$WH_DIR/cost.err" "above the limit of 100000 (ask.max_cost)"

# timeout: unbounded recursion is cancelled
wh_expect_fail "$WH_DIR/time.err" ph ask --tenant acme --sql "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
wh_contains "$WH_DIR/time.err" "ran longer than the limit (ask.timeout_ms)"

# a guard refusal names its rule
wh_expect_fail "$WH_DIR/guard.err" ph ask --tenant acme --sql "SELECT * FROM prs"
wh_contains "$WH_DIR/guard.err" "refused by the SQL guard (rule relation)"
# a question without an LLM route: intent by rules, a clear refusal to guess
wh_expect_fail "$WH_DIR/noroute.err" ph ask --tenant acme "how many pull requests were merged?" --json
wh_contains "$WH_DIR/noroute.err" "no LLM route"
echo PASS
