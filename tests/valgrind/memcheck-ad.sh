#!/bin/bash
# memcheck-ad (make check-valgrind): one Active Directory job against slapd
# (tests/harness/ldap.sh: LDAPS, paged search over several pages) runs
# `pulse-host job run --in-process` under valgrind memcheck: zero errors,
# zero definitely lost bytes, and the warehouse equals the directory.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"
. "$abs_top_srcdir/tests/valgrind/vg-lib.sh"
VG_NAME=memcheck-ad

ad_setup memcheck-ad
ad_directory d1 --users 60 --groups 6 --big 40 --seed 3
vg_setup "$AD_DIR"
id=$(ad_integration '{"page_size": 25}')
B="$VG" ad_run "$id"
vg_check ad "$AD_RC" "$AD_LOG"
grep -q 'finished in' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "the job did not finish cleanly"; }
ad_verify "$id" d1
ad_log "PASS"
