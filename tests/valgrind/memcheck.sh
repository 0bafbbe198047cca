#!/bin/bash
# make check-valgrind: one sandbox and one GitHub job (docs/testing.md;
# the other sources have their own memcheck-*.sh) run `pulse-host job run
# --in-process` under valgrind memcheck. Pass: the job finishes, memcheck
# reports zero errors and zero definitely lost bytes (--error-exitcode;
# "possibly lost" and still-reachable blocks of libraries are not
# counted). Not in the default `make check`: it takes minutes.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"
. "$abs_top_srcdir/tests/valgrind/vg-lib.sh"
VG_NAME=memcheck

gh_setup memcheck --seed 5 --repos 1 --prs 4
sed -i "s|^plugin_dirs = \[|plugin_dirs = [\"$abs_top_builddir/plugins/source-sandbox/.libs\", |" "$GH_CONF"
real="$B"
vg_setup "$GH_DIR"

check_run() { # check_run LABEL INTEGRATION
	B="$VG" gh_run "$2"
	vg_check "$1" "$GH_RC" "$GH_LOG"
}

printf '%s\n' '{"repos":1,"prs_per_repo":4,"page_size":3}' > "$GH_DIR/sb.json"
sb=$("$real" -c "$GH_CONF" integration add --tenant t1 --plugin sandbox --config "$GH_DIR/sb.json" \
	--name sb1 --json | harness_json_get id)
check_run sandbox "$sb"
n=$(gh_sql "SELECT count(*) FROM prs WHERE integration_id = $sb")
gh_eq "sandbox PRs loaded under memcheck" "$n" 4
gh=$(gh_integration '{"org":"acme"}')
check_run github "$gh"
n=$(gh_sql "SELECT count(*) FROM prs WHERE integration_id = $gh")
gh_eq "GitHub PRs loaded under memcheck" "$n" 4
gh_log "PASS"
