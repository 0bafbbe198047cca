#!/bin/bash
# tests/bench/ad-bench.sh: sync a directory of 50,000 users and 5,000
# groups from slapd (tests/harness/ldap.sh) with the ad plugin
# (`pulse-host job run --in-process`) and report
#   - users per second (extract + transform + load, wall clock),
#   - peak RSS of the pulse-host process,
#   - LDAP round trips per 1,000 users (from the job's summary line),
# beside a baseline measured in the same run: `ldapsearch` paging through
# the same users at the same page size (the directory's own speed).
#
#   tests/bench/ad-bench.sh [USERS [GROUPS [PAGE_SIZE]]]   default 50000 5000 500
#
# AD_BENCH_BASELINE=DIR (a directory holding another build's ad.so, such
# as the previous commit's) also runs that plugin's full sync in the same
# run, first, into a database of its own, and prints its figures beside. AD_BENCH_WRAP="perf record -g -o FILE" (or heaptrack,
# valgrind --tool=massif ...) runs the full sync under that tool; its
# figures then include the tool's.
set -euo pipefail

BENCH_NAME=ad-bench
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
USERS=${1:-50000}
GROUPS_N=${2:-5000}
PAGE=${3:-500}
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"
bl_db=
ad_bench_exit() { harness_app_db_drop "$bl_db"; ad_cleanup; bench_pg_cleanup; }

ad_setup ad-bench
trap ad_bench_exit EXIT
t0=$(harness_now)
ad_directory d1 --users "$USERS" --groups "$GROUPS_N" --big 3000 --seed 5
ad_log "directory of $USERS users and $GROUPS_N groups loaded in $(harness_elapsed "$t0") s"
id=$(ad_integration "{\"page_size\": $PAGE}")

# baseline: the same users paged by ldapsearch
t0=$(harness_now)
n=$(LDAPTLS_CACERT=$LDAP_CA ldapsearch -LLL -x -ZZ -H "$LDAP_URL" -D "$LDAP_SVC_DN" \
	-y <(printf '%s' "$LDAP_SVC_PW") -b "$LDAP_BASE" -E "pr=$PAGE/noprompt" \
	'(&(objectCategory=person)(objectClass=user))' '*' | grep -c '^dn: ')
base_s=$(harness_elapsed "$t0")
[ "$n" = "$USERS" ] || ad_fail "baseline read $n users"

# full_sync CONF ID TAG: one full sync; prints "seconds rss_kb cpu_s round_trips"
full_sync() {
	local conf=$1 iid=$2 tag=$3 t0 n
	t0=$(harness_now)
	local wrap=
	[ "$tag" = baseline ] || wrap=${AD_BENCH_WRAP:-}
	# shellcheck disable=SC2086 # the wrapper is a command line
	/usr/bin/time -f '%M %e %U %S' -o "$AD_DIR/time.$tag" $wrap "$B" -c "$conf" job run \
		--in-process "$iid" >"$AD_DIR/bench.$tag.log" 2>&1 ||
		{ tail -30 "$AD_DIR/bench.$tag.log" >&2; ad_fail "$tag: job run failed"; }
	printf '%s ' "$(harness_elapsed "$t0")"
	n=$(ad_sql "SELECT count(*) FROM directory_users WHERE integration_id = $iid")
	[ "$n" = "$USERS" ] || ad_fail "$tag: loaded $n users, want $USERS"
	printf '%s %s %s\n' "$(cut -d' ' -f1 "$AD_DIR/time.$tag")" \
		"$(awk '{ print $3 + $4 }' "$AD_DIR/time.$tag")" \
		"$(sed -n 's/.* round_trips=\([0-9]*\).*/\1/p' "$AD_DIR/bench.$tag.log" | tail -1)"
}

bl=
if [ -n "${AD_BENCH_BASELINE:-}" ]; then
	[ -f "$AD_BENCH_BASELINE/ad.so" ] || ad_fail "AD_BENCH_BASELINE: no ad.so in $AD_BENCH_BASELINE"
	sed "s|^plugin_dirs = .*|plugin_dirs = [\"$AD_BENCH_BASELINE\"];|" "$AD_CONF" > "$AD_CONF.base"
	# A database of its own: a second full sync into another tenant of
	# the same one ran twice as long (the same plugin twice: 18.5 s, then
	# 37.0 s), which no comparison survives.
	main_app=$PULSE_HOST_DATABASE_URL
	main_admin=$AD_ADMIN_URL
	bl_db=${AD_DB}_base
	mkdir -p "$AD_DIR/base"
	harness_app_db "$bl_db" "$AD_DIR/base" || ad_fail "baseline database set-up failed"
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	AD_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	"$B" -c "$AD_CONF" tenant add t1 >/dev/null || ad_fail "baseline tenant add failed"
	id0=$(ad_integration "{\"page_size\": $PAGE}")
	bl=$(full_sync "$AD_CONF.base" "$id0" baseline)
	harness_app_db_drop "$bl_db"
	bl_db=
	export PULSE_HOST_DATABASE_URL=$main_app
	AD_ADMIN_URL=$main_admin
fi
read -r secs rss_kb cpu rt < <(full_sync "$AD_CONF" "$id" run1)
# the extract: from the run's first log line to the plugin's summary line
# (it includes the load of the pages the host took on meanwhile)
ext=$(sed -n -e '1s/^\([0-9T:.-]*\)Z .*/\1/p' -e '/ sync mode=/{s/^\([0-9T:.-]*\)Z .*/\1/p;q}' \
	"$AD_DIR/bench.run1.log" | while read -r t; do date -d "$t" +%s.%N; done |
	awk 'NR == 1 { a = $1 } END { if (NR == 2) printf "%.1f", $1 - a; else print "?" }')
links=$(ad_sql "SELECT count(*) FROM directory_memberships WHERE integration_id = $id")

t1=$(harness_now)
/usr/bin/time -f '%M %e' -o "$AD_DIR/time2" "$B" -c "$AD_CONF" job run --in-process \
	"$id" >"$AD_DIR/bench.run2.log" 2>&1 || { tail -30 "$AD_DIR/bench.run2.log" >&2; ad_fail "second run failed"; }
secs2=$(harness_elapsed "$t1")
rss2_kb=$(cut -d' ' -f1 "$AD_DIR/time2")
rt2=$(sed -n 's/.* round_trips=\([0-9]*\).*/\1/p' "$AD_DIR/bench.run2.log" | tail -1)

awk -v u="$USERS" -v g="$GROUPS_N" -v l="$links" -v s="$secs" -v b="$base_s" \
	-v rss="$rss_kb" -v rt="$rt" -v s2="$secs2" -v rt2="$rt2" -v p="$PAGE" \
	-v bl="$bl" -v cpu="$cpu" -v ext="$ext" -v rss2="$rss2_kb" 'BEGIN {
	printf "ad-bench: full sync of %d users, %d groups, %d memberships (page_size %d)\n", u, g, l, p
	printf "ad-bench: users/s            %.0f  (%.1f s wall, extract+transform+load)\n", u / s, s
	printf "ad-bench: baseline users/s   %.0f  (ldapsearch paging the same users, %.1f s)\n", u / b, b
	printf "ad-bench: peak RSS           %.1f MiB\n", rss / 1024
	printf "ad-bench: pulse-host CPU     %.1f s of the %.1f s (the rest: PostgreSQL, slapd, waits)\n", cpu, s
	printf "ad-bench: extract            %s s of the %.1f s (LDAP and the plugin, until its summary line)\n", ext, s
	printf "ad-bench: round trips        %d = %.2f per 1,000 users (minimum for the users alone: %.2f)\n", rt, rt * 1000 / u, 1000 / p
	printf "ad-bench: incremental, nothing changed: %.1f s, %d round trips (key-set reconcile included), peak RSS %.1f MiB\n", s2, rt2, rss2 / 1024
	if (split(bl, x, " ") == 4)
		printf "ad-bench: baseline plugin    %.0f users/s (%.1f s), peak RSS %.1f MiB, CPU %.1f s, %d round trips\n", u / x[1], x[1], x[2] / 1024, x[3], x[4]
}'
