#!/bin/bash
# memcheck-ad (make check-valgrind): one Active Directory job against slapd
# (tests/harness/ldap.sh: LDAPS, paged search over several pages) runs
# `pulse-host job run --in-process` under valgrind memcheck: zero errors,
# zero definitely lost bytes, and the warehouse equals the directory.
# The directory lists reports before their managers, so entries also take
# the path that sets them aside until the DN they name is read.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"
. "$abs_top_srcdir/tests/valgrind/vg-lib.sh"
VG_NAME=memcheck-ad

ad_setup memcheck-ad
ad_directory d1 --users 60 --groups 6 --big 40 --seed 3 --reverse 1
vg_setup "$AD_DIR"
id=$(ad_integration '{"page_size": 25}')
B="$VG" ad_run "$id"
vg_check ad "$AD_RC" "$AD_LOG"
grep -q ' deferred=[1-9]' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "no entry was set aside"; }
grep -q 'finished in' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "the job did not finish cleanly"; }
ad_verify "$id" d1
ad_log "PASS"
