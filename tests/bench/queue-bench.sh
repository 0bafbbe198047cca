#!/bin/bash
# queue-bench.sh: throughput of the queue stages on a sandbox workload.
# Not part of `make check` (numbers, not assertions); run it against the
# test servers:
#
#   eval "$(tests/harness/servers start)"
#   abs_top_srcdir=$PWD abs_top_builddir=BUILD PULSE_HOST_BIN=BUILD/host/pulse-host \
#       bash tests/bench/queue-bench.sh [REPOS [PRS_PER_REPO]]
#   tests/harness/servers stop "$PULSE_TEST_HARNESS_DIR"
#
# For 1 and 3 workers it reports
#   drain:      pages queued beforehand, `worker --once` processes until
#               drained (transform + load only)
#   end-to-end: workers running, `job run` extracts, publishes and waits
#               until every page is loaded
# in pages/s and canonical records/s.
set -euo pipefail
. "$abs_top_srcdir/tests/broker/worker-lib.sh"

repos=${1:-6}
prs=${2:-200}
WT_STALE=300 wt_setup bench
settings="{\"repos\":$repos,\"prs_per_repo\":$prs,\"page_size\":5,\"seed\":1}"

records() {
	wt_sql "SELECT (SELECT count(*) FROM prs WHERE integration_id = $1)
	      + (SELECT count(*) FROM prs_commits WHERE integration_id = $1)
	      + (SELECT count(*) FROM prs_reviews WHERE integration_id = $1)
	      + (SELECT count(*) FROM prs_comments WHERE integration_id = $1)
	      + (SELECT count(*) FROM repositories WHERE integration_id = $1)"
}

report() { # WHAT N ID SECONDS
	local pages recs
	pages=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $3 AND status = 'completed'")
	recs=$(records "$3")
	awk -v w="$1" -v n="$2" -v p="$pages" -v r="$recs" -v s="$4" 'BEGIN {
		printf "measure: %-10s workers=%d pages=%d records=%d seconds=%.2f pages/s=%.0f records/s=%.0f\n",
		       w, n, p, r, s, p / s, r / s }'
}

for n in 1 3; do
	# drain
	id=$(wt_integration broker "$settings")
	"$B" -c "$WT_CONF" job run --quiet --wait-timeout 600 "$id" >/dev/null 2>&1 & run=$!
	want=$(( repos * ((prs + 4) / 5) + 1 ))
	for i in $(seq 600); do
		got=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $id")
		[ "$got" -ge "$want" ] && break
		sleep 0.2
	done
	sleep 1
	t0=$(harness_now)
	for w in $(seq "$n"); do wt_worker "d$n-$w" --once --prefetch 16; done
	for w in $(seq "$n"); do wt_wait_exit "d$n-$w" 600; done
	report drain "$n" "$id" "$(harness_elapsed "$t0")"
	for w in $(seq "$n"); do
		grep -o 'event=stopped.*' "$WT_DIR/d$n-$w.log" | sed 's/^/  /'
	done
	wait "$run" || true

	# end-to-end
	for w in $(seq "$n"); do wt_worker "e$n-$w" --prefetch 16; done
	sleep 2
	id=$(wt_integration broker "$settings")
	t0=$(harness_now)
	"$B" -c "$WT_CONF" job run --quiet --wait-timeout 600 "$id" >/dev/null 2>&1 || true
	report end-to-end "$n" "$id" "$(harness_elapsed "$t0")"
	for w in $(seq "$n"); do wt_stop_worker "e$n-$w"; done
done
