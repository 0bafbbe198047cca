#!/bin/bash
# ad-errors: TLS with the wrong CA fails clearly (StartTLS and ldaps), a
# wrong password fails with the remedy (set-secret), and the bind password
# appears in no log line, no `ps` line and no database dump, while a good
# sync runs.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"

ad_setup ad-errors
ad_directory d1 --users 50 --groups 5 --big 20 --seed 3

want_fail() {   # want_fail WHAT ID REGEX...
	local what=$1 id=$2 re
	shift 2
	ad_run "$id"
	[ "$AD_RC" -ne 0 ] || grep -q 'ERROR\|failed' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "$what: the job did not fail"; }
	for re in "$@"; do
		grep -Eq -- "$re" "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "$what: no \"$re\" in the output"; }
	done
	ad_log "ok: $what fails clearly"
}

id=$(ad_integration "{\"ca_file\": \"$LDAP_WRONG_CA\"}")
want_fail "StartTLS with the wrong CA" "$id" 'StartTLS at ldap://' 'ca_file'
id=$(ad_integration "{\"url\": \"$LDAPS_URL\", \"ca_file\": \"$LDAP_WRONG_CA\"}")
want_fail "ldaps with the wrong CA" "$id" "bind at $LDAPS_URL" 'ca_file'
id=$(ad_integration '{"bind_password": "not-the-password"}')
want_fail "a wrong password" "$id" 'invalid credentials' \
	"pulse-host integration set-secret $id bind_password"
id=$(ad_integration '{"ca_file": "/nonexistent/ca.pem"}')
want_fail "a missing CA file" "$id" 'ca_file'

# A good sync over ldaps while ps is sampled.
id=$(ad_integration "{\"url\": \"$LDAPS_URL\"}")
( while :; do ps -eo args= >> "$AD_DIR/ps.txt" 2>/dev/null; sleep 0.05; done ) &
sampler=$!
ad_run "$id"
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || :
[ "$AD_RC" -eq 0 ] || { cat "$AD_LOG" >&2; ad_fail "the ldaps sync failed"; }
ad_verify "$id" d1
[ -s "$AD_DIR/ps.txt" ] || ad_fail "ps sampling saw nothing"
pg_dump -d "$AD_ADMIN_URL" > "$AD_DIR/dump.sql" || ad_fail "pg_dump failed"
for f in "$AD_DIR"/run.*.log "$AD_DIR/ps.txt" "$AD_DIR/dump.sql" "$AD_DIR/add.err"; do
	[ -f "$f" ] || continue
	if grep -qF -- "$LDAP_SVC_PW" "$f"; then
		ad_fail "the bind password appears in $(basename "$f")"
	fi
	if grep -qF -- "not-the-password" "$f"; then
		ad_fail "a (wrong) bind password appears in $(basename "$f")"
	fi
done
ad_log "ok: the bind password is in no log, ps line or dump"
ad_log PASS
