#!/bin/bash
# memcheck-entra (make check-valgrind): one Entra job against the Graph
# sandbox (token, delta pages, members in slices) runs `pulse-host job run
# --in-process` under valgrind memcheck: zero errors, zero definitely lost
# bytes, and the warehouse equals the sandbox's truth; then the delta
# round, also under memcheck.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"
. "$abs_top_srcdir/tests/valgrind/vg-lib.sh"
VG_NAME=memcheck-entra

en_setup memcheck-entra --users 12 --groups 3 --big-group 9 --page-size 5 --member-slice 4
vg_setup "$EN_DIR"
id=$(en_integration '{}')
B="$VG" en_run "$id"
vg_check entra "$EN_RC" "$EN_LOG"
grep -q 'finished in' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "the job did not finish cleanly"; }
en_verify "$id"
B="$VG" en_run "$id"
vg_check "entra delta" "$EN_RC" "$EN_LOG"
en_verify "$id"
en_log "PASS"
