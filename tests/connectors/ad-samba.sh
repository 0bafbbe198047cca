#!/bin/bash
# ad-samba: the ad plugin against a real AD domain controller, Samba's
# (tests/harness/samba.sh), provisioned for this test on a loopback address
# of its own. The DC assigns the objectGUIDs, keeps uSNChanged, removes a
# deleted member's links and makes tombstones; the test only says what to
# create and change (tests/connectors/ad-samba.py, on the DC's database).
#
#  - full sync over StartTLS with the test CA, as a service account,
#    base_dn an OU: the warehouse equals what was created (managers,
#    departments, disabled users, a nested group, the 1,600-member group
#    complete), objectGUIDs equal Samba's own formatting (ldbsearch)
#  - an incremental (uSNChanged) after a deleted user and group, a rename,
#    a move (OU, manager, department), a disabled user and membership
#    changes: exactly these seen, the deletions found as tombstones with
#    the show-deleted control (they live in CN=Deleted Objects, outside
#    base_dn), and the warehouse equals the directory again
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"
. "$abs_top_srcdir/tests/harness/samba.sh"

tool="$abs_top_srcdir/tests/connectors/ad-samba.py"
# The DC binds AD's fixed ports (389, 636) and Samba's DC runs as root.
if [ "$(id -u)" -ne 0 ]; then
	echo "ad-samba: SKIP: needs root (Samba's AD DC binds the fixed LDAP port 389)" >&2
	exit 77
fi
ad_setup ad-samba
trap 'samba_stop; ad_cleanup' EXIT
samba_provision "$AD_DIR/dc" "$AD_DIR" || ad_fail "no Samba AD DC (see above)"

# A throwaway password for a private DC; it reaches the seeder and the
# plugin through the environment and files only.
LDAP_SVC_PW="Pulse-$(harness_random_hex 16)-aZ9"
LDAP_SVC_DN="CN=svc-pulse,CN=Users,$LDAP_BASE_DOMAIN"
LDAP_BASE="OU=Pulse,$LDAP_BASE_DOMAIN"
model=$AD_DIR/model.json
AD_SVC_PASSWORD=$LDAP_SVC_PW samba_timed "$AD_DIR/seed.time" "$SAMBA_PY" "$tool" seed \
	"$SAMBA_CONF" "$model" --users 1650 --big 1600 || ad_fail "seeding the DC failed"
ad_log "seeded 1,650 users and 4 groups in $(cat "$AD_DIR/seed.time")"
t0=$(harness_now)
samba_start || ad_fail "the DC did not start"
ad_log "DC up on $SAMBA_ADDR in $(harness_elapsed "$t0") s"

samba_verify() {
	local id=$1 v="$AD_DIR/verify.$AD_RUNS"
	samba_py "$tool" truth "$SAMBA_CONF" "$model" | LC_ALL=C sort > "$v.truth" ||
		ad_fail "ad-samba truth failed"
	psql -X -q -At -v ON_ERROR_STOP=1 -v id="$id" "$AD_ADMIN_URL" \
		-f "$abs_top_srcdir/tests/connectors/ad-truth.sql" | LC_ALL=C sort > "$v.db" ||
		ad_fail "reading the warehouse failed"
	if ! diff -u "$v.truth" "$v.db" > "$v.diff"; then
		sed -n 1,40p "$v.diff" >&2
		ad_fail "the warehouse differs from the DC ($(grep -c '^[-+][A-Z]' "$v.diff") lines)"
	fi
	ad_log "ok: warehouse equals the DC ($(wc -l < "$v.truth") rows: $(cut -d'|' -f1 "$v.truth" | sort | uniq -c | tr -s ' \n' ' '))"
}

# What Samba does with a big `member` (for the log: AD would cut it at
# 1,500 values; the plugin copes either way, tests/connectors/ad-ranged.sh).
LDAPTLS_CACERT=$LDAP_CA ldapsearch -LLL -x -ZZ -H "$LDAP_URL" -D "$LDAP_SVC_DN" \
	-y <(printf '%s' "$LDAP_SVC_PW") -b "CN=all-staff,OU=Groups,$LDAP_BASE" -s base \
	'(objectClass=group)' member > "$AD_DIR/big.ldif" || ad_fail "ldapsearch as the service account failed"
ad_log "Samba returned $(grep -c '^member:' "$AD_DIR/big.ldif") plain member values and $(grep -c '^member;range=' "$AD_DIR/big.ldif") ranged ones for 1,600 members"

id=$(ad_integration '{"page_size": 200}')
ad_run_ok "$id"
grep -q 'sync mode=full' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "not a full sync"; }
samba_verify "$id"
big=$(ad_sql "SELECT count(*) FROM directory_memberships m JOIN directory_groups g
	ON g.external_id = m.group_external_id AND g.integration_id = m.integration_id
	WHERE m.integration_id = $id AND g.name = 'all-staff' AND m.deleted_at IS NULL")
ad_eq "members of the 1,600-member group" "$big" 1600
ad_eq "disabled users" "$(ad_sql "SELECT count(*) FROM directory_users WHERE integration_id = $id AND NOT enabled")" 33
ad_eq "groups nested in leads" "$(ad_sql "SELECT count(*) FROM directory_memberships m JOIN directory_groups g
	ON g.external_id = m.group_external_id AND g.integration_id = m.integration_id
	WHERE m.integration_id = $id AND g.name = 'leads' AND m.member_kind = 'group'")" 2
# objectGUID: the plugin's byte swap against Samba's own tools.
want=$(TDB_NO_FSYNC=1 ldbsearch -H "$SAMBA_SAM" -s sub -b "$LDAP_BASE" '(sAMAccountName=user00007)' objectGUID |
	sed -n 's/^objectGUID: //p')
[ -n "$want" ] || ad_fail "ldbsearch printed no objectGUID"
ad_eq "objectGUID of user00007 (ldbsearch)" \
	"$(ad_sql "SELECT external_id FROM directory_users WHERE integration_id = $id AND account_name = 'user00007'")" "$want"

# Changes on the DC. user01599 manages nobody and is in all-staff; sales
# is nested in leads.
t0=$(harness_now)
samba_py "$tool" mutate "$SAMBA_CONF" "$model" '[
	{"op": "delete_user", "user": "user01599"},
	{"op": "delete_group", "group": "sales"},
	{"op": "rename_user", "user": "user00010", "cn": "zz-renamed", "display": "Renamed Ten"},
	{"op": "move_user", "user": "user00003", "ou": "Sales", "manager": "user00002"},
	{"op": "disable_user", "user": "user00004"},
	{"op": "add_member", "group": "eng", "member": "user01640"},
	{"op": "remove_member", "group": "all-staff", "member": "user00100"}]' ||
	ad_fail "changing the DC failed"
ad_log "changed the DC in $(harness_elapsed "$t0") s"
ad_run_ok "$id"
grep -q 'sync mode=incremental' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "not an incremental"; }
# renamed, moved, disabled users; eng and all-staff (the deleted member's
# link removal does not bump a group's uSNChanged on Samba)
grep -q ' users=3 groups=2 ' "$AD_LOG" || { grep 'sync mode' "$AD_LOG" >&2; ad_fail "the incremental read other than 3 users and 2 groups"; }
grep -q 'deleted_users=1 deleted_groups=1 ' "$AD_LOG" || { grep 'sync mode' "$AD_LOG" >&2; ad_fail "the tombstones were not found"; }
samba_verify "$id"
ad_eq "members of all-staff after a delete and a removal" \
	"$(ad_sql "SELECT count(*) FROM directory_memberships m JOIN directory_groups g
	ON g.external_id = m.group_external_id AND g.integration_id = m.integration_id
	WHERE m.integration_id = $id AND g.name = 'all-staff' AND m.deleted_at IS NULL")" 1598
ad_log PASS
