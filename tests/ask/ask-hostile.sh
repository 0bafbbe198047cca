#!/bin/bash
# The hostile corpus (tests/ask/hostile.txt): every entry is refused by the
# guard with the rule it names, or let through and shown harmless (no row
# of the other tenant), or stopped by the execution limit it names. Then
# every entry runs straight at the database as the query role, without the
# guard: the database refuses it or it runs harmlessly, and nothing in the
# database changed (defence in depth).
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
ask_setup
ask_bulk
# The limit is generous so that a harmless entry never meets it on a busy
# machine; the looping entries meet any limit.
ask_conf 'ask = { timeout_ms = 2000; max_cost = 100000; };'
CORPUS=$abs_top_srcdir/tests/ask/hostile.txt

state() {
	wh_sql "SELECT (SELECT count(*) FROM prs) || '/' || (SELECT count(*) FROM prs_reviews)
	 || '/' || (SELECT count(*) FROM tenants) || '/' || (SELECT count(*) FROM integrations)
	 || '/' || (SELECT string_agg(title, ',' ORDER BY id) FROM prs)
	 || '/' || (SELECT count(*) FROM pg_class)
	 || '/' || (SELECT string_agg(relname || coalesce(relacl::text, '-'), ',' ORDER BY relname) FROM pg_class WHERE relname IN ('prs', 'prs_reviews', 'tenants', 'integrations'))
	 || '/' || (SELECT count(*) FROM pg_largeobject_metadata)
	 || '/' || (SELECT string_agg(rolname || rolsuper || rolbypassrls || rolcreaterole || rolcreatedb, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('pulse_query', current_user))
	 || '/' || (SELECT count(*) FROM pg_auth_members WHERE member = 'pulse_query'::regrole)"
}
# Roles are cluster-wide and the suite's tests share one server, so the
# check names the roles this test can reach instead of counting them all.
before=$(state)

n=0 refused=0 harmless=0 limited=0 bad=0
while IFS=$'\t' read -r exp sql; do
	case $exp in '#'*|'') continue ;; esac
	n=$((n + 1))
	v=$(ph_ask --guard "$sql" --json) || :
	rule=$(printf '%s' "$v" | jq -r '.rule // "ok"')
	case $exp in
	ok:*)
		if [ "$rule" != ok ]; then
			echo "entry $n: expected the guard to allow it, got $rule: $sql" >&2
			bad=$((bad + 1)); continue
		fi
		out=$(ph_ask --tenant acme --sql "$sql" --json 2>/dev/null) || :
		failure=$(printf '%s' "$out" | jq -r '.failure // "none"')
		if printf '%s' "$out" | jq -c '.rows' | grep -c SECRET-B >/dev/null; then
			echo "entry $n: LEAK of tenant B: $sql" >&2
			bad=$((bad + 1)); continue
		fi
		case $exp in
		ok:harmless) [ "$failure" = none ] || { echo "entry $n: harmless query failed ($failure): $out" >&2; bad=$((bad + 1)); continue; }
			harmless=$((harmless + 1)) ;;
		ok:cost|ok:timeout) [ "$failure" = "${exp#ok:}" ] || { echo "entry $n: expected the ${exp#ok:} limit, got $failure: $out" >&2; bad=$((bad + 1)); continue; }
			limited=$((limited + 1)) ;;
		esac ;;
	*)
		if [ "$rule" != "$exp" ]; then
			echo "entry $n: expected rule $exp, got $rule: $sql ($v)" >&2
			bad=$((bad + 1)); continue
		fi
		# what runs must be refused too: --sql goes through the guard
		if ph_ask --tenant acme --sql "$sql" --json > "$WH_DIR/out.json" 2>/dev/null; then
			echo "entry $n: ask --sql ran a refused query: $sql" >&2
			bad=$((bad + 1)); continue
		fi
		refused=$((refused + 1)) ;;
	esac
done < "$CORPUS"
echo "guard: $n entries: $refused refused with the rule named, $harmless shown harmless, $limited stopped by a limit, $bad wrong"
[ "$n" -ge 150 ] || wh_fail "the corpus has $n entries, fewer than 150"
[ "$bad" -eq 0 ] || wh_fail "$bad entries of the hostile corpus were not handled as expected"

# Defence in depth: the database alone, as the query role.
"$abs_top_builddir/tests/ask/ask-direct" "$WH_APP_URL" "$TA" "$CORPUS" > "$WH_DIR/direct.txt" ||
	wh_fail "ask-direct failed"
total=$(wc -l < "$WH_DIR/direct.txt")
dbref=$(awk -F'\t' '$2 == "refused"' "$WH_DIR/direct.txt" | wc -l)
ran=$(awk -F'\t' '$2 == "ran"' "$WH_DIR/direct.txt" | wc -l)
leaks=$(awk -F'\t' '$2 == "ran" && $4 != 0' "$WH_DIR/direct.txt" | wc -l)
echo "database alone: $total entries: $dbref refused by PostgreSQL, $ran ran, $leaks leaked tenant B"
awk -F'\t' '$2 == "refused" {print "  refused: " $3}' "$WH_DIR/direct.txt" | sort | uniq -c | sort -rn | sed -n 1,20p
[ "$total" -eq "$n" ] || wh_fail "ask-direct ran $total entries of $n"
[ "$leaks" -eq 0 ] || { grep -P '\tran\t.*\t1$' "$WH_DIR/direct.txt" >&2; wh_fail "the database alone leaked tenant B"; }
after=$(state)
[ "$before" = "$after" ] || wh_fail "the database changed: before $before, after $after"
# the set_config route is closed in the database too, not only in the guard
grep -q 'permission denied for function set_config' "$WH_DIR/direct.txt" ||
	wh_fail "set_config was not refused by the database"
echo "PASS"
