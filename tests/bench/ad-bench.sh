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
set -euo pipefail

BENCH_NAME=ad-bench
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
USERS=${1:-50000}
GROUPS_N=${2:-5000}
PAGE=${3:-500}
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"
ad_bench_exit() { ad_cleanup; bench_pg_cleanup; }

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

t0=$(harness_now)
AD_LOG="$AD_DIR/bench.run1.log"
/usr/bin/time -f '%M %e' -o "$AD_DIR/time1" "$B" -c "$AD_CONF" job run --in-process \
	"$id" >"$AD_LOG" 2>&1 || { tail -30 "$AD_LOG" >&2; ad_fail "job run failed"; }
secs=$(harness_elapsed "$t0")
rss_kb=$(cut -d' ' -f1 "$AD_DIR/time1")
loaded=$(ad_sql "SELECT count(*) FROM directory_users WHERE integration_id = $id")
links=$(ad_sql "SELECT count(*) FROM directory_memberships WHERE integration_id = $id")
[ "$loaded" = "$USERS" ] || ad_fail "loaded $loaded users, want $USERS"
rt=$(sed -n 's/.* round_trips=\([0-9]*\).*/\1/p' "$AD_LOG" | tail -1)

t1=$(harness_now)
/usr/bin/time -f '%M %e' -o "$AD_DIR/time2" "$B" -c "$AD_CONF" job run --in-process \
	"$id" >"$AD_DIR/bench.run2.log" 2>&1 || { tail -30 "$AD_DIR/bench.run2.log" >&2; ad_fail "second run failed"; }
secs2=$(harness_elapsed "$t1")
rt2=$(sed -n 's/.* round_trips=\([0-9]*\).*/\1/p' "$AD_DIR/bench.run2.log" | tail -1)

awk -v u="$USERS" -v g="$GROUPS_N" -v l="$links" -v s="$secs" -v b="$base_s" \
	-v rss="$rss_kb" -v rt="$rt" -v s2="$secs2" -v rt2="$rt2" -v p="$PAGE" 'BEGIN {
	printf "ad-bench: full sync of %d users, %d groups, %d memberships (page_size %d)\n", u, g, l, p
	printf "ad-bench: users/s            %.0f  (%.1f s wall, extract+transform+load)\n", u / s, s
	printf "ad-bench: baseline users/s   %.0f  (ldapsearch paging the same users, %.1f s)\n", u / b, b
	printf "ad-bench: peak RSS           %.1f MiB\n", rss / 1024
	printf "ad-bench: round trips        %d = %.2f per 1,000 users (minimum for the users alone: %.2f)\n", rt, rt * 1000 / u, 1000 / p
	printf "ad-bench: incremental, nothing changed: %.1f s, %d round trips (key-set reconcile included)\n", s2, rt2
}'
