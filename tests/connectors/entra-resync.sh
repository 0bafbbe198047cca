#!/bin/bash
# entra-resync: Graph's faults on the delta walks.
#  - 410 Gone with Location on a delta link: a full round, then the
#    warehouse equals the truth (changes made meanwhile included, and a
#    user deleted meanwhile found by the reconcile of known ids);
#  - 400 syncStateNotFound on groups: the same, with a deleted group;
#  - 410 on groups after a membership was removed: the full round's
#    reconcile of known links closes it;
#  - 429 and 503 with Retry-After: waited out by the host, the sync goes on;
#  - x-ms-throttle-limit-percentage above 80 %: the plugin paces itself.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"

en_setup entra-resync --users 25 --groups 4 --big-group 12 --page-size 10 --member-slice 5

id=$(en_integration '{}')
en_run_ok "$id"
en_verify "$id"

# 410 on the users delta link.
en_api POST /_sandbox/mutate '[{"op": "update_user", "user": 2, "set": {"jobTitle": "Director"}},
	{"op": "delete_user", "user": 9}]' >/dev/null
en_api POST /_sandbox/faults '{"kind": "status", "status": 410, "count": 1,
	"path_prefix": "/v1.0/users/delta", "only_delta_token": true}' >/dev/null
en_api POST /_sandbox/stats/reset >/dev/null
en_run_ok "$id"
grep -q 'resync walk=users status=410' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "no resync after 410"; }
en_verify "$id"
# The full round re-read every user page; the user deleted while the
# delta token was lost is found by the reconcile (known ids - seen ids).
n=$(en_api GET /_sandbox/stats | jqv 'd.by_path["GET /v1.0/users/delta"]')
en_eq "users calls: the 410 + a full round of 3 pages" "$n" 4
grep -q ' vanished=1 links_vanished=0$' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "the reconcile did not find the deleted user"; }

# syncStateNotFound on the groups delta link; a group deleted meanwhile is
# found by the reconcile of the full round (its links go with it).
en_api POST /_sandbox/mutate '{"op": "delete_group", "group": 3}' >/dev/null
en_api POST /_sandbox/faults '{"kind": "status", "status": 400, "code": "syncStateNotFound",
	"count": 1, "path_prefix": "/v1.0/groups/delta", "only_delta_token": true}' >/dev/null
en_run_ok "$id"
grep -q 'resync walk=groups status=400 code=syncStateNotFound' "$EN_LOG" ||
	{ cat "$EN_LOG" >&2; en_fail "no resync after syncStateNotFound"; }
en_verify "$id"

# A membership removed while the groups delta token was lost: the full
# round does not list it, and the reconcile of known links closes it (an
# added one comes with the round). The sandbox forgets the token (410).
en_api POST /_sandbox/mutate '[{"op": "remove_member", "group": 1, "member": 3},
	{"op": "add_member", "group": 2, "member": 0}]' >/dev/null
en_api POST /_sandbox/faults '{"kind": "status", "status": 410, "count": 1,
	"path_prefix": "/v1.0/groups/delta", "only_delta_token": true}' >/dev/null
gone=$(en_api GET /_sandbox/truth | jqv 'd.groups[1].id + "|" + d.users[3].id')
en_run_ok "$id"
grep -q 'resync walk=groups status=410' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "no resync after 410 on groups"; }
grep -q ' vanished=0 links_vanished=1$' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "the reconcile did not close the removed link"; }
en_eq "the removed link is marked deleted" \
	"$(en_sql "SELECT count(*) FROM directory_memberships WHERE integration_id = $id
	           AND external_id = '$gone' AND deleted_at IS NOT NULL")" 1
en_verify "$id"

# 429 and 503 with Retry-After, then the pacing header.
en_api POST /_sandbox/mutate '{"op": "update_user", "user": 4, "set": {"department": "Ops"}}' >/dev/null
en_api POST /_sandbox/faults '{"kind": "status", "status": 429, "retry_after": 1, "count": 1,
	"path_prefix": "/v1.0/users/delta"}' >/dev/null
en_api POST /_sandbox/faults '{"kind": "status", "status": 503, "retry_after": 1, "count": 1,
	"path_prefix": "/v1.0/groups/delta"}' >/dev/null
en_api POST /_sandbox/stats/reset >/dev/null
en_run_ok "$id"
en_verify "$id"
n=$(en_api GET /_sandbox/stats | jqv 'd.graph_calls')
en_eq "calls with one 429 and one 503 (2 + 2 retries)" "$n" 4
grep -qi 'Retry-After\|retry' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "the waits are not in the log"; }

en_api POST /_sandbox/faults '{"kind": "throttle_header", "value": "0.93", "count": 1}' >/dev/null
en_run_ok "$id"
grep -q 'throttle_pace percent=93 wait_s=2' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "no pacing at 93 %"; }
grep -q 'paced=1' "$EN_LOG" || en_fail "the summary does not count the pacing"
en_log "PASS"
