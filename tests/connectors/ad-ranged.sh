#!/bin/bash
# ad-ranged: ranged `member` retrieval as AD does it above MaxValRange
# (an empty `member` plus `member;range=0-999`, then member;range=N-* until
# the end marker `*`), against a small fake LDAP responder
# (tests/sandbox/ldap-range/server.py; slapd and Samba never split a plain
# `member`). The 2,500-member group arrives complete; when the DC stops
# answering a range, the job fails and the group keeps its members (tools
# that got this wrong emptied whole groups).
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"

ad_setup ad-ranged
FAKE_PID=
FAKE_PORT=$(harness_free_port "$AD_DIR") || ad_fail "no free port"
fake_start() {
	rm -f "$AD_DIR/fake.port"
	PULSE_HARNESS_OWNER=$AD_DIR python3 "$abs_top_srcdir/tests/sandbox/ldap-range/server.py" \
		--port-file "$AD_DIR/fake.port" --port "$FAKE_PORT" --users 2500 --range 1000 "$@" \
		>>"$AD_DIR/fake.log" 2>&1 &
	FAKE_PID=$!
	harness_wait_for 30 "the fake LDAP responder to start" test -s "$AD_DIR/fake.port" ||
		{ cat "$AD_DIR/fake.log" >&2; ad_fail "fake responder did not start"; }
	LDAP_URL="ldap://127.0.0.1:$(cat "$AD_DIR/fake.port")"
}
fake_stop() { kill "$FAKE_PID" 2>/dev/null; harness_wait_exit "$FAKE_PID" 10 || :; }

fake_start
LDAP_SVC_DN="cn=svc,dc=fake,dc=example" LDAP_SVC_PW="fake-$(harness_random_hex 8)"
LDAP_CA="" LDAP_BASE="dc=fake,dc=example"
id=$(ad_integration '{"starttls": false, "page_size": 1000,
	"user_filter": "(objectClass=user)"}')
ad_run_ok "$id"
members() {
	ad_sql "SELECT count(*) FROM directory_memberships m JOIN directory_groups g
		ON g.external_id = m.group_external_id AND g.integration_id = m.integration_id
		WHERE m.integration_id = $id AND g.name = '$1' AND m.deleted_at IS NULL"
}
ad_eq "members of the ranged group" "$(members big)" 2500
ad_eq "members of the small group" "$(members small)" 3
ad_eq "distinct users among the big group's members" "$(ad_sql "SELECT count(DISTINCT u.external_id)
	FROM directory_memberships m JOIN directory_users u ON u.external_id = m.member_external_id
	 AND u.integration_id = m.integration_id WHERE m.integration_id = $id
	 AND m.group_external_id = (SELECT external_id FROM directory_groups WHERE integration_id = $id AND name = 'big')")" 2500
grep -q 'plain_bind' "$AD_LOG" || ad_fail "no warning for a bind without TLS"

# The DC stops short: the next sync fails, nothing is removed.
fake_stop
fake_start --broken
ad_run "$id"
grep -q 'ranged member retrieval of cn=big,ou=Groups,dc=fake,dc=example stopped at value 1000' "$AD_LOG" ||
	{ cat "$AD_LOG" >&2; ad_fail "a broken range did not fail the job clearly"; }
ad_eq "members kept after the broken range" "$(members big)" 2500
fake_stop
ad_log PASS
