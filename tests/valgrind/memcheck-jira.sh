#!/bin/bash
# memcheck-jira (make check-valgrind): one Jira sandbox job (issues,
# changelogs through bulkfetch, sprints, workflows) runs `pulse-host job
# run --in-process` under valgrind memcheck: zero errors, zero definitely
# lost bytes, and the warehouse equals the sandbox's truth.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"
. "$abs_top_srcdir/tests/valgrind/vg-lib.sh"
VG_NAME=memcheck-jira

jr_setup memcheck-jira --seed vg --projects 1 --issues 6
vg_setup "$JR_DIR"
id=$(jr_integration '{}')
B="$VG" jr_run "$id"
vg_check jira "$JR_RC" "$JR_LOG"
grep -q 'finished in' "$JR_LOG" || { cat "$JR_LOG" >&2; jr_fail "the job did not finish cleanly"; }
jr_verify "$id"
n=$(jr_sql "SELECT count(*) FROM changelogs WHERE integration_id = $id")
[ "$n" -gt 0 ] || jr_fail "no changelog loaded: the run under memcheck did not cover changelogs"
jr_log "PASS"
