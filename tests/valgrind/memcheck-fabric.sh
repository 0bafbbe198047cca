#!/bin/bash
# memcheck-fabric (make check-valgrind): one Fabric sandbox job
# (workspaces, items, job runs, deploy operations, a GraphQL entity, over
# continuation pages) runs `pulse-host job run --in-process` under
# valgrind memcheck: zero errors, zero definitely lost bytes, and the
# warehouse equals the sandbox's truth.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"
. "$abs_top_srcdir/tests/valgrind/vg-lib.sh"
VG_NAME=memcheck-fabric

fb_setup memcheck-fabric --workspaces 2 --items 3 --runs 2 --deploys 2 --rows 5 --page-size 2
vg_setup "$FB_DIR"
id=$(fb_integration '{"graphql": true, "graphql_page_size": 2}')
B="$VG" fb_run "$id"
vg_check fabric "$FB_RC" "$FB_LOG"
grep -q 'finished in' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "the job did not finish cleanly"; }
fb_verify "$id" "$FB_URL" 1
fb_log "PASS"
