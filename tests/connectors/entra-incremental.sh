#!/bin/bash
# entra-incremental: after a full sync, the delta link brings exactly the
# changes: a rename, a disabled user, a manager change, a deleted user
# (@removed on the object: the row is marked deleted, its links gone), a
# removed membership (@removed on a link: only that link goes, the user
# stays), an added member, a new user, a renamed and a deleted group.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"

en_setup entra-incremental --users 30 --groups 5 --big-group 20 --page-size 7 --member-slice 6

id=$(en_integration '{}')
# pulse-host users with the mail of directory users 4 (disabled below),
# 5 (stays enabled), 10 (disabled from the start) and 11 (deleted below);
# user 4 holds a session (100_directory_disables_users.sql)
en_api GET /_sandbox/truth > "$EN_DIR/truth-pre.json"
tid=$(en_sql "SELECT id FROM tenants WHERE name = 't1'")
for k in 4 5 10 11; do
	m=$(jqv "d.users[$k].mail.toLowerCase()" "$EN_DIR/truth-pre.json")
	en_sql "INSERT INTO users (tenant_id, email) VALUES ($tid, '$m')" >/dev/null
done
mail_of() { jqv "d.users[$1].mail.toLowerCase()" "$EN_DIR/truth-pre.json"; }
status_of() { en_sql "SELECT status FROM users WHERE tenant_id = $tid AND email = '$(mail_of "$1")'"; }
en_sql "INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at)
	SELECT $tid, id, '\\x01', now() + interval '1 day' FROM users
	WHERE tenant_id = $tid AND email = '$(mail_of 4)'" >/dev/null
en_run_ok "$id"
en_verify "$id"
en_eq "users after the full sync (4 5 10 11)" "$(status_of 4) $(status_of 5) $(status_of 10) $(status_of 11)" \
	"active active disabled active"
t="$EN_DIR/truth0.json"
en_api GET /_sandbox/truth > "$t"
u5=$(jqv 'd.users[5].id' "$t")
u11=$(jqv 'd.users[11].id' "$t")
g0=$(jqv 'd.groups[0].id' "$t")
g4=$(jqv 'd.groups[4].id' "$t")

en_api POST /_sandbox/mutate '[
	{"op": "update_user", "user": 3, "set": {"displayName": "Renamed Three", "department": "Legal"}},
	{"op": "update_user", "user": 4, "set": {"accountEnabled": false}},
	{"op": "set_manager", "user": 7, "manager": 2},
	{"op": "set_manager", "user": 8, "manager": null},
	{"op": "delete_user", "user": 11},
	{"op": "remove_member", "group": 0, "member": 5},
	{"op": "add_member", "group": 0, "member": 25},
	{"op": "add_user"},
	{"op": "rename_group", "group": 1, "name": "Platform Team"},
	{"op": "delete_group", "group": 4}]' >/dev/null
en_api POST /_sandbox/stats/reset >/dev/null
en_run_ok "$id"
grep -q 'walk=users round=delta' "$EN_LOG" || en_fail "the run was not a delta round"
en_verify "$id"

# @removed on the object: the user row is deleted, and so are its links.
en_eq "deleted user marked" "$(en_sql "SELECT count(*) FROM directory_users
	WHERE integration_id = $id AND external_id = '$u11' AND deleted_at IS NOT NULL")" 1
en_eq "live links of the deleted user" "$(en_sql "SELECT count(*) FROM directory_memberships
	WHERE integration_id = $id AND member_external_id = '$u11' AND deleted_at IS NULL")" 0
# @removed on a link: only the membership goes; user 5 stays live.
en_eq "removed link marked" "$(en_sql "SELECT count(*) FROM directory_memberships
	WHERE integration_id = $id AND external_id = '$g0|$u5' AND deleted_at IS NOT NULL")" 1
en_eq "user of the removed link still live" "$(en_sql "SELECT count(*) FROM directory_users
	WHERE integration_id = $id AND external_id = '$u5' AND deleted_at IS NULL")" 1
en_eq "deleted group marked" "$(en_sql "SELECT count(*) FROM directory_groups
	WHERE integration_id = $id AND external_id = '$g4' AND deleted_at IS NOT NULL")" 1
en_eq "manager cleared by manager@delta @removed" "$(en_sql "SELECT coalesce(manager_external_id, 'none')
	FROM directory_users WHERE integration_id = $id AND external_id = '$(jqv 'd.users[8].id' "$t")'")" none
# Disabled and deleted in the directory: disabled here, sessions revoked,
# audited once each; an enabled person stays.
en_eq "users after the incremental (4 5 10 11)" "$(status_of 4) $(status_of 5) $(status_of 10) $(status_of 11)" \
	"disabled active disabled disabled"
en_eq "live sessions of user 4" "$(en_sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE u.email = '$(mail_of 4)' AND s.revoked_at IS NULL")" 0
en_eq "directory disables audited" "$(en_sql "SELECT count(*) FROM audit_events
	WHERE tenant_id = $tid AND action = 'user.disable' AND actor = 'directory:$id'")" 3
en_eq "the run's count" "$(en_sql "SELECT (stats->>'users_disabled') FROM job_runs
	WHERE integration_id = $id ORDER BY id DESC LIMIT 1")" 2
# An incremental costs one call per walk here (the changes fit a page).
calls=$(en_api GET /_sandbox/stats | jqv 'd.graph_calls')
[ "$calls" -le 4 ] || en_fail "the incremental made $calls Graph calls"
en_log "ok: incremental Graph calls = $calls"
en_log "PASS"
