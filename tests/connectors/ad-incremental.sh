#!/bin/bash
# ad-incremental: after a full sync, changes made on the directory the way
# a DC records them (each changed object's uSNChanged raised, the rootDSE's
# highestCommittedUSN moved) are picked up exactly by an incremental
# (uSNChanged>=N+1): a disabled user, a moved user (new OU and manager), a
# membership added and one removed, a deleted group and a deleted user
# (found by the key-set reconcile, slapd having no show-deleted control;
# its links go too) and a renamed user (new DN, memberships kept). Then a
# new invocationID on the DC forces a full resync, which also finds a
# change that uSNChanged never showed.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"

ad_setup ad-incremental
ad_directory d1 --users 600 --groups 40 --big 300 --seed 11
id=$(ad_integration '{"page_size": 100}')
ad_run_ok "$id"
ad_verify "$id" d1

ad_mutate d1 '[
	{"op": "disable_user", "user": 6},
	{"op": "move_user", "user": 7, "ou": "Sales", "manager": 3},
	{"op": "add_member", "group": 0, "user": 450},
	{"op": "remove_member", "group": 0, "user": 10},
	{"op": "delete_group", "group": 4},
	{"op": "delete_user", "user": 500},
	{"op": "rename_user", "user": 5, "cn": "zz-renamed", "display": "Renamed Five"}]'
ad_run_ok "$id"
grep -q 'sync mode=incremental' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "not an incremental"; }
# disabled, moved, renamed users; groups 0 and 0 again (one object)
grep -q ' users=3 groups=1 ' "$AD_LOG" || { grep 'sync mode' "$AD_LOG" >&2; ad_fail "the incremental read other than the 3 changed users and 1 changed group"; }
grep -q 'deleted_users=1 deleted_groups=1 ' "$AD_LOG" || { grep 'sync mode' "$AD_LOG" >&2; ad_fail "deletions not found"; }
ad_verify "$id" d1
ad_eq "removed links marked deleted" \
	"$(ad_sql "SELECT count(*) >= 2 FROM directory_memberships WHERE integration_id = $id AND deleted_at IS NOT NULL")" t

# A restored DC: new invocationID. A title changed without a uSNChanged
# bump is invisible to incrementals; the full resync must find it.
ad_mutate d1 '[{"op": "silent_title", "user": 20, "title": "Restored Title"}]'
ldap_new_invocation || ad_fail "could not change the invocationId"
ad_run_ok "$id"
grep -q 'full_sync reason="the DC.s invocationID changed' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "no full resync on a new invocationID"; }
grep -q 'sync mode=full' "$AD_LOG" || ad_fail "not a full sync"
ad_verify "$id" d1
ad_log PASS
